/*
 * Fuzz target: the export parsers. The first input byte picks the table and the format (COPY
 * text or CSV, with or without header); the rest is the export. Any input must parse or fail
 * with CS_EINPUT and a "file:line: column: reason" message — never crash or over-read.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "etl/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const int table = CS_TABLE_MIN + data[0] % (CS_TABLE_MAX - CS_TABLE_MIN + 1);
    struct cs_parse_opts opts = {
        .format = (data[0] & 0x10) ? CS_FMT_CSV : CS_FMT_TEXT,
        .header = (data[0] & 0x20) != 0,
        .filename = "fuzz",
        .rejects = NULL,
        .now_us = 0,
    };
    const struct cs_table_def *t = cs_schema_table(table);
    struct cs_parser *p = NULL;
    struct cs_error err = {0};
    if (cs_parser_open_mem(t, (const char *)data + 1, size - 1, &opts, &p, &err) != CS_OK) return 0;
    struct cs_batch b;
    cs_batch_init(&b, t);
    for (int guard = 0; guard < 100000; guard++) {
        int rc = cs_parser_next(p, &b, 64, &err);
        if (rc != CS_OK) {
            if (rc != CS_EINPUT || strncmp(err.message, "fuzz:", 5) != 0) __builtin_trap();
            break;
        }
        if (b.rows == 0) break;
        for (int c = 0; c < t->ncols; c++) {
            if (b.cols[c].len != b.rows) __builtin_trap();
        }
    }
    cs_batch_free(&b);
    cs_parser_close(p);
    return 0;
}
