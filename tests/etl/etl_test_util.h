/* Helpers shared by the etl tests: parse a whole export held in a string. */
#ifndef CS_ETL_TEST_UTIL_H
#define CS_ETL_TEST_UTIL_H

#include <stdlib.h>
#include <string.h>

#include "etl/parse.h"

/* Load time used for DEFAULT now(): 2025-03-04 00:00:00 UTC. */
#define TEST_NOW_US INT64_C(1741046400000000)

/* parse_all() - parse input (a table named `table`) into *all (initialized here); rejects may
 * be NULL. Returns the status of the last call; *rejected gets the rejected row count. */
static inline int parse_all(const char *table,
                            int format,
                            bool header,
                            const char *input,
                            size_t len,
                            FILE *rejects,
                            struct cs_batch *all,
                            struct cs_error *err,
                            uint64_t *rejected)
{
    const struct cs_table_def *t = cs_schema_find_table(table);
    struct cs_parse_opts opts = {
        format, header, format == CS_FMT_CSV ? "t.csv" : "t.tsv", rejects, TEST_NOW_US, 0, 0, 0};
    cs_batch_init(all, t);
    struct cs_parser *p = NULL;
    int rc = cs_parser_open_mem(t, input, len, &opts, &p, err);
    if (rc != CS_OK) return rc;
    struct cs_batch b;
    cs_batch_init(&b, t);
    for (;;) {
        rc = cs_parser_next(p, &b, 3, err); /* small batches: exercise batch boundaries */
        if (rc != CS_OK || b.rows == 0) break;
        for (size_t r = 0; r < b.rows; r++)
            cs_batch_push_row_from(all, &b, r);
    }
    if (rejected != NULL) *rejected = cs_parser_rejected(p);
    cs_batch_free(&b);
    cs_parser_close(p);
    return rc;
}

static inline const char *str_at(const struct cs_batch *b, int col, size_t row)
{
    static char buf[4096];
    size_t len;
    const char *s = cs_col_str(&b->cols[col], row, &len);
    if (len >= sizeof(buf)) len = sizeof(buf) - 1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return buf;
}

#endif
