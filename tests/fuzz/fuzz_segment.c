/*
 * Fuzz target: the segment reader. Any bytes must decode or fail with CS_ECORRUPT — never
 * crash, over-read or allocate without bound. The first byte picks the physical kind; when its
 * high bit is set the segment's checksum is recomputed first, so that mutations get past the
 * checksum into the codecs' own bounds checks (a writer bug or a collision would look so).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "storage/segment.h"

#include <xxhash.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const int kind = CS_K_I64 + data[0] % 4;
    /* copy so that an over-read past the input is caught by ASan */
    uint8_t *buf = malloc(size - 1 ? size - 1 : 1);
    if (buf == NULL) return 0;
    memcpy(buf, data + 1, size - 1);
    if ((data[0] & 0x80) && size - 1 >= 64) { /* reseal: checksum at 8 over [16, end) */
        const uint64_t sum = XXH3_64bits(buf + 16, size - 1 - 16);
        for (int i = 0; i < 8; i++) buf[8 + i] = (uint8_t)(sum >> (8 * i));
    }
    struct cs_col c;
    cs_col_init(&c, kind);
    struct cs_error err = {0};
    int rc = cs_seg_decode(buf, size - 1, &c, "fuzz.seg", &err);
    if (rc != CS_OK && rc != CS_ECORRUPT && rc != CS_ENOMEM && rc != CS_EINVAL) __builtin_trap();
    struct cs_seg_stats st;
    (void)cs_seg_read_stats(buf, size - 1, &st, "fuzz.seg", &err);
    cs_col_free(&c);
    free(buf);
    return 0;
}
