/*
 * Printing a result: psql's aligned table, psql --csv (byte for byte), or JSON (an array of
 * objects, numbers as numbers, NULL as null).
 */
#ifndef CS_QUERY_FORMAT_H
#define CS_QUERY_FORMAT_H

#include <stdio.h>

#include "query/report.h"

enum cs_out_format {
    CS_OUT_TABLE = 1,
    CS_OUT_CSV = 2,
    CS_OUT_JSON = 3,
};

/* cs_result_value_text() - the text of one value as PostgreSQL prints it (NULL → returns 0
 * and sets *is_null). buf must hold the value (CS_FMT_MAX bytes for fixed types); for text
 * values *text points into the result instead of buf. Returns the length. */
size_t cs_result_value_text(
    const struct cs_result *r, size_t col, size_t row, char *buf, const char **text, int *is_null);

/* cs_result_write() - print r to out in format fmt. CS_EIO when writing fails. */
int cs_result_write(FILE *out, const struct cs_result *r, int fmt, struct cs_error *err);

/* Each writer prints r to out in one format (what cs_result_write() dispatches to); CS_EIO
 * when writing fails.
 * - csv: what `psql --csv` prints: header line, fields separated by ',', NULL as an empty
 *   field, a field quoted (inner quotes doubled) iff it holds ',', '"', CR or LF, or is "\.";
 *   lines end with LF.
 * - table: psql's default aligned format: centered header, "-+-" rule, numbers right-aligned,
 *   other values left-aligned (the last column unpadded), "(N rows)" footer and a blank line.
 *   Widths count display columns (UTF-8, East Asian wide characters as 2).
 * - json: an array of objects, one per row on its own line, keys in column order; integers
 *   and numerics as JSON numbers (numerics with their scale digits, e.g. 12.30), booleans as
 *   true/false, NULL as null, everything else as a JSON string. */
int cs_result_write_csv(FILE *out, const struct cs_result *r, struct cs_error *err);
int cs_result_write_table(FILE *out, const struct cs_result *r, struct cs_error *err);
int cs_result_write_json(FILE *out, const struct cs_result *r, struct cs_error *err);

/* cs_text_display_width() - display columns of UTF-8 text s[0..len) as psql counts them for
 * aligned output (wide characters 2, combining marks 0, others 1). */
size_t cs_text_display_width(const char *s, size_t len);

#endif
