/*
 * Fuzz target: the store's own structures as a reader meets them (storage/manifest.c): a
 * manifest, the CURRENT pointer, a data file header and a partition block header. The first
 * input byte picks the structure; with its high bit set the structure's checksum is recomputed
 * first, so that mutations get past the checksum into the bounds checks. Any bytes must decode
 * or fail with CS_ECORRUPT — never crash, over-read or allocate beyond the input's size.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "storage/store_int.h"

#include <xxhash.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void manifest(uint8_t *buf, size_t n, bool reseal)
{
    if (reseal && n >= CS_MAN_HEADER_SIZE) {
        cs_put_u64(buf + 32, n); /* the size field, so that the counts are what is tested */
        cs_put_u64(buf + 8, XXH64(buf + 16, n - 16, 0));
    }
    struct cs_manifest m;
    struct cs_error err = {0};
    const int rc = cs_man_decode(buf, n, "fuzz", &m, &err);
    if (rc == CS_OK) {
        /* a manifest that decodes encodes back to the same bytes */
        uint8_t *again = NULL;
        size_t len = 0;
        if (cs_man_encode(&m, &again, &len, &err) != CS_OK) __builtin_trap();
        if (m.format == CS_MAN_FORMAT && (len != n || memcmp(again, buf, n) != 0)) __builtin_trap();
        if (m.format != CS_MAN_FORMAT) { /* format 1 is written again as the current format */
            struct cs_manifest m2;
            if (cs_man_decode(again, len, "fuzz", &m2, &err) != CS_OK) __builtin_trap();
            if (m2.nparts != m.nparts || m2.nfiles != m.nfiles) __builtin_trap();
            for (uint32_t i = 0; i < m.nparts; i++) {
                if (memcmp(&m2.parts[i], &m.parts[i], offsetof(struct cs_mpart, key_min)) != 0)
                    __builtin_trap();
            }
            cs_man_free(&m2);
        }
        free(again);
        /* every partition lies inside its file, in order */
        for (uint32_t i = 0; i < m.nparts; i++) {
            const struct cs_mpart *p = &m.parts[i];
            if (p->file >= m.nfiles || p->off + p->len > m.files[p->file].size) __builtin_trap();
        }
        cs_man_free(&m);
    } else if (rc != CS_ECORRUPT && rc != CS_ENOMEM) {
        __builtin_trap();
    }
}

static void part_header(uint8_t *buf, size_t n, bool reseal)
{
    if (n < 1 + CS_PART_FIXED_SIZE) return;
    /* the partition the manifest would describe, from the header itself */
    struct cs_mpart p = {.table = buf[4],
                         .ncols = buf[5],
                         .time_key = (int32_t)cs_get_u32(buf + 8),
                         .rows = cs_get_u32(buf + 12),
                         .file = 0,
                         .off = 64,
                         .len = n};
    const size_t hl = CS_PART_FIXED_SIZE + (size_t)p.ncols * CS_PART_COL_SIZE + 8;
    if (reseal && hl <= n) cs_put_u64(buf + hl - 8, XXH64(buf, hl - 8, 0));
    p.hsum = hl <= n ? cs_get_u64(buf + hl - 8) : 0;
    const uint8_t *cols = NULL;
    struct cs_error err = {0};
    const int rc = cs_part_header_check(buf, n, &p, "fuzz", &cols, &err);
    if (rc == CS_OK) {
        for (int c = 0; c < p.ncols; c++) {
            uint64_t off, len;
            struct cs_seg_stats st;
            cs_part_col(cols, c, &off, &len, &st);
            if (off > n || len > n - off) __builtin_trap();
        }
    } else if (rc != CS_ECORRUPT) {
        __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const size_t n = size - 1;
    uint8_t *buf = malloc(n ? n : 1); /* a copy: an over-read is caught by ASan */
    if (buf == NULL) return 0;
    memcpy(buf, data + 1, n);
    const bool reseal = (data[0] & 0x80) != 0;
    struct cs_error err = {0};
    switch (data[0] % 3) {
    case 0:
        manifest(buf, n, reseal);
        break;
    case 1:
        if (reseal && n >= CS_DATA_HEADER_SIZE) cs_put_u64(buf + 24, XXH64(buf, 24, 0));
        if (cs_data_header_check(buf, n, n >= 24 ? cs_get_u64(buf + 16) : 0, "fuzz", &err) !=
                CS_OK &&
            err.code != CS_ECORRUPT)
            __builtin_trap();
        break;
    default:
        part_header(buf, n, reseal);
        break;
    }
    free(buf);
    return 0;
}
