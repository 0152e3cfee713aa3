/* The automatic i64 codec choice: the blocked PFOR codecs are chosen only when they save at
 * least 15 % over plain FOR/DELTA (they decode slower), as docs/storage-segments.md says. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "storage/codec.h"
#include "storage/segment.h"

static int chosen_codec(const struct cs_col *c)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct cs_error err = {0};
    cr_assert_eq(cs_seg_encode(c, CS_TY_INT8, &buf, &len, NULL, &err), CS_OK, "%s", err.message);
    const int codec = buf[20];
    free(buf);
    return codec;
}

Test(codec_choice, small_saving_keeps_plain_for)
{
    struct cs_col c;
    cs_col_init(&c, CS_K_I64);
    uint64_t x = 88172645463325252u;
    /* uniform 10-bit values, and one 11-bit value per 512: PFOR would save only ~1 bit in 11 */
    for (int i = 0; i < 4096; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        cs_col_push_i64(&c, i % 512 == 0 ? 2047 : (int64_t)(x % 1024));
    }
    cr_assert_eq(chosen_codec(&c), CS_CODEC_I64_FOR);
    cs_col_free(&c);
}

Test(codec_choice, long_tail_takes_pfor)
{
    struct cs_col c;
    cs_col_init(&c, CS_K_I64);
    uint64_t x = 88172645463325252u;
    /* mostly 8-bit values with a rare 30-bit outlier: PFOR saves far more than 15 % */
    for (int i = 0; i < 4096; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        cs_col_push_i64(&c, i % 700 == 0 ? (int64_t)(1u << 30) : (int64_t)(x % 256));
    }
    cr_assert_eq(chosen_codec(&c), CS_CODEC_I64_PFOR);
    cs_col_free(&c);
}
