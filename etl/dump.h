/*
 * Writing rows back out as a PostgreSQL export: byte for byte what
 * `COPY (SELECT * FROM t ORDER BY key) TO STDOUT` prints (text) or the same
 * `WITH (FORMAT csv, HEADER)` (csv). Visible columns only, DDL order.
 */
#ifndef CS_ETL_DUMP_H
#define CS_ETL_DUMP_H

#include <stdio.h>

#include "storage/base/column.h"
#include "storage/base/status.h"

/* cs_dump_header() - the CSV header line of table t (nothing for text). */
int cs_dump_header(FILE *out, const struct cs_table_def *t, int format, struct cs_error *err);
/* cs_dump_rows() - rows [0, b->rows) of b in format (CS_FMT_TEXT or CS_FMT_CSV); rows are
 * written in the order given. CS_EIO when writing fails. */
int cs_dump_rows(FILE *out, const struct cs_batch *b, int format, struct cs_error *err);

#endif
