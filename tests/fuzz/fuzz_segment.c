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
#include "storage/store.h"

#include <xxhash.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* view() - the reading-in-place path over the same bytes: opening checks what decoding
 * checks, and every value read through the view equals the decoded one (dec, when the decode
 * succeeded). */
static void view(const uint8_t *buf, size_t len, int kind, uint32_t rows, const struct cs_col *dec)
{
    struct cs_error err = {0};
    if (cs_seg_rows_claim(buf, len, rows, "fuzz.seg", &err) != CS_OK) return;
    struct cs_seg_view v;
    cs_seg_view_init(&v);
    const int rc = cs_seg_view_open(buf, len, kind, &v, "fuzz.seg", &err);
    if (rc != CS_OK && rc != CS_ECORRUPT && rc != CS_ENOMEM) __builtin_trap();
    if (rc == CS_OK && kind != CS_K_STR && kind != CS_K_FIX16 && v.rows > 0) {
        const size_t n = (v.rows + 7) / 8 * 8;
        int64_t *vals = calloc(n, sizeof(*vals));
        uint8_t *bytes = calloc(n, 1), *nulls = calloc(n, 1);
        if (vals != NULL && bytes != NULL && nulls != NULL) {
            for (size_t from = 0; from < v.rows; from += 8) {
                const size_t k = v.rows - from < 8 ? v.rows - from : 8;
                (void)cs_seg_view_nulls(&v, from, k, nulls + from);
                if (kind == CS_K_I64)
                    cs_seg_view_i64(&v, from, k, vals + from);
                else
                    cs_seg_view_bool(&v, from, k, bytes + from);
            }
            for (size_t r = 0; dec != NULL && r < v.rows; r++) {
                const bool null = dec->nulls != NULL && dec->nulls[r];
                if (null) continue;
                if (kind == CS_K_I64 && vals[r] != dec->i64[r]) __builtin_trap();
                if (kind == CS_K_BOOL && bytes[r] != dec->b8[r]) __builtin_trap();
            }
            int64_t sum;
            if (kind == CS_K_I64)
                (void)cs_seg_view_sum_i64(&v, &sum);
            else
                (void)cs_seg_view_count_true(&v);
        }
        free(vals);
        free(bytes);
        free(nulls);
    } else if (rc == CS_OK && kind == CS_K_STR) {
        size_t count = 0;
        (void)cs_seg_view_count_str(&v, "a", 1, &count, &err);
    }
    cs_seg_view_free(&v);
}

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
        for (int i = 0; i < 8; i++)
            buf[8 + i] = (uint8_t)(sum >> (8 * i));
    }
    struct cs_col c;
    cs_col_init(&c, kind);
    struct cs_error err = {0};
    /* The store decodes a segment only for the row count its manifest claims (bounded by the
     * partition): here, whatever the header claims up to 2^16 rows. */
    struct cs_seg_stats st;
    uint32_t rows = 0;
    if (cs_seg_read_stats(buf, size - 1, &st, "fuzz.seg", &err) == CS_OK) rows = st.rows;
    if (rows > (1u << 16)) rows = 1u << 16;
    int rc = cs_seg_decode_rows(buf, size - 1, rows, &c, "fuzz.seg", &err);
    if (rc != CS_OK && rc != CS_ECORRUPT && rc != CS_ENOMEM && rc != CS_EINVAL) __builtin_trap();
    if (rc == CS_OK && c.len != rows) __builtin_trap();
    view(buf, size - 1, kind, rows, rc == CS_OK ? &c : NULL);
    cs_col_free(&c);
    free(buf);
    return 0;
}
