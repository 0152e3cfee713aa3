/*
 * In-memory columns: the unit passed between layers. A struct cs_col holds the values of one
 * column (one physical kind) with an optional NULL byte map; a struct cs_batch holds the rows
 * of one table as one cs_col per schema column (DDL order, hidden columns included).
 *
 * Ownership: a cs_col owns its arrays; cs_col_free() releases them. Appending grows the
 * arrays geometrically; cs_col_reset() keeps the capacity so that a reader can decode
 * partition after partition into one column without allocating.
 */
#ifndef CS_COLUMN_H
#define CS_COLUMN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/base/schema.h"

struct cs_col {
    uint8_t kind;   /* enum cs_kind */
    size_t len;     /* rows */
    size_t cap;     /* rows allocated in i64/b8/fix16/nulls (and off, cap + 1) */
    int64_t *i64;   /* CS_K_I64 */
    uint8_t *b8;    /* CS_K_BOOL: 0 or 1 */
    uint8_t *fix16; /* CS_K_FIX16: 16 bytes a row */
    uint64_t *off;  /* CS_K_STR: len + 1 offsets into data; off[0] == 0 */
    char *data;     /* CS_K_STR: bytes of all strings, not NUL-terminated */
    size_t data_len, data_cap;
    uint8_t *nulls;    /* NULL when no row is NULL; else len bytes, 1 = NULL */
    size_t null_count; /* rows that are NULL */
};

/* cs_col_init() - an empty column of physical kind `kind`. */
void cs_col_init(struct cs_col *c, int kind);
/* cs_col_free() - release c's arrays; c becomes an empty column of the same kind. */
void cs_col_free(struct cs_col *c);
/* cs_col_reset() - drop all rows, keep the allocations. */
void cs_col_reset(struct cs_col *c);
/* cs_col_reserve() - ensure room for `rows` rows in total (and data_bytes string bytes).
 * Returns false when memory runs out (c unchanged). */
bool cs_col_reserve(struct cs_col *c, size_t rows, size_t data_bytes);

/* Append one value. Each returns false when memory runs out (c unchanged). */
bool cs_col_push_i64(struct cs_col *c, int64_t v);
bool cs_col_push_bool(struct cs_col *c, bool v);
bool cs_col_push_str(struct cs_col *c, const char *s, size_t len);
bool cs_col_push_fix16(struct cs_col *c, const uint8_t v[16]);
bool cs_col_push_null(struct cs_col *c);
/* cs_col_push_from() - append row `row` of src (same kind), NULL included. */
bool cs_col_push_from(struct cs_col *c, const struct cs_col *src, size_t row);

static inline bool cs_col_is_null(const struct cs_col *c, size_t row)
{
    return c->nulls != NULL && c->nulls[row] != 0;
}
static inline const char *cs_col_str(const struct cs_col *c, size_t row, size_t *len)
{
    *len = (size_t)(c->off[row + 1] - c->off[row]);
    return c->data + c->off[row];
}
/* cs_col_append_range() - append rows [from, from + n) of src (same kind), NULLs included. */
bool cs_col_append_range(struct cs_col *c, const struct cs_col *src, size_t from, size_t n);
/* cs_col_equal_at() - whether row a of x and row b of y hold the same value (NULL == NULL). */
bool cs_col_equal_at(const struct cs_col *x, size_t a, const struct cs_col *y, size_t b);

/* A table's rows, column by column. */
struct cs_batch {
    const struct cs_table_def *table;
    size_t rows;
    struct cs_col cols[CS_MAX_COLS];
    /* Optional provenance, filled by parsers so that later checks can name the line:
     * line_no[r] is the export line where row r starts (0 when unknown). */
    uint64_t *line_no;
    size_t line_cap;
};

/* cs_batch_init() - an empty batch for table t with one column per schema column. */
void cs_batch_init(struct cs_batch *b, const struct cs_table_def *t);
void cs_batch_free(struct cs_batch *b);
void cs_batch_reset(struct cs_batch *b);
/* cs_batch_push_row_from() - append row `row` of src (same table). */
bool cs_batch_push_row_from(struct cs_batch *b, const struct cs_batch *src, size_t row);

/* cs_batch_append_range() - append rows [from, from + n) of src (same table), with their
 * line numbers when src has them. */
bool cs_batch_append_range(struct cs_batch *b, const struct cs_batch *src, size_t from, size_t n);

#endif
