/*
 * Writing rows back out as a PostgreSQL export: byte for byte what
 * `COPY (SELECT * FROM t ORDER BY key) TO STDOUT` prints (text) or the same
 * `WITH (FORMAT csv, HEADER)` (csv). Visible columns only, DDL order.
 */
#ifndef CS_ETL_DUMP_H
#define CS_ETL_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "storage/base/column.h"
#include "storage/base/status.h"

/* cs_dump_header() - the CSV header line of table t (nothing for text). */
int cs_dump_header(FILE *out, const struct cs_table_def *t, int format, struct cs_error *err);
/* cs_dump_rows() - rows [0, b->rows) of b in format (CS_FMT_TEXT or CS_FMT_CSV); rows are
 * written in the order given. CS_EIO when writing fails. */
int cs_dump_rows(FILE *out, const struct cs_batch *b, int format, struct cs_error *err);
/* cs_dump_row_cols() - row `row` of b as one export line of format, with the ncols columns
 * cols[0..ncols) in that order (hidden ones allowed): how a rejected row is re-rendered in
 * the field order of the export it came from. CS_EIO when writing fails. */
int cs_dump_row_cols(FILE *out,
                     const struct cs_batch *b,
                     size_t row,
                     const int8_t *cols,
                     int ncols,
                     int format,
                     struct cs_error *err);
/* cs_dump_value() - one value of column col (definition def) at row, escaped for format
 * (text: \N and backslash escapes; CSV: empty for NULL, quoted when needed; single_column:
 * the export has one column, so a CSV "\." is quoted) and appended to *buf (grown with
 * realloc; *len and *cap updated). false when memory runs out. */
bool cs_dump_value(char **buf,
                   size_t *len,
                   size_t *cap,
                   const struct cs_col *col,
                   const struct cs_column_def *def,
                   size_t row,
                   int format,
                   bool single_column);

#endif
