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
size_t cs_result_value_text(const struct cs_result *r,
                            size_t col,
                            size_t row,
                            char *buf,
                            const char **text,
                            int *is_null);

/* cs_result_write() - print r to out in format fmt. CS_EIO when writing fails. */
int cs_result_write(FILE *out, const struct cs_result *r, int fmt, struct cs_error *err);

#endif
