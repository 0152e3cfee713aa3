/*
 * Dimensions at run time: the rows of one dimension table (read from its partition) and
 * xxHash-keyed open-addressing hash tables over them: surrogate key → row and natural key
 * (agent_name, conversation_id, user_id) → rows. dim_agent keeps every SCD-2 version, so a
 * name maps to several rows; cs_dim_name_rows() returns them in valid_from order.
 *
 * A struct cs_dim is immutable once built: any number of threads may read it.
 */
#ifndef CS_DIM_INDEX_H
#define CS_DIM_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "storage/base/column.h"
#include "storage/base/status.h"
#include "storage/store.h"

struct cs_dim {
    const struct cs_table_def *table;
    struct cs_batch rows; /* every row of the dimension */
    /* private: hash tables */
    uint32_t *key_slots; /* row index + 1, 0 = empty */
    size_t key_mask;
    uint32_t *name_slots; /* first row index + 1 of a name's chain */
    size_t name_mask;
    uint32_t *name_next; /* next row (+1) with the same name, in valid_from order */
};

/* cs_dim_load() - read dimension `table` from snap and index it. *out is released with
 * cs_dim_free(). An empty dimension loads as zero rows. */
int cs_dim_load(struct cs_snap *snap, int table, struct cs_dim **out, struct cs_error *err);
/* cs_dim_build() - index rows already in memory (takes ownership of *rows' arrays; *rows is
 * left empty). Duplicate surrogate keys are CS_EINPUT. */
int cs_dim_build(const struct cs_table_def *t,
                 struct cs_batch *rows,
                 struct cs_dim **out,
                 struct cs_error *err);
void cs_dim_free(struct cs_dim *d);

/* cs_dim_row_by_key() - row index of surrogate key `key`, or -1. */
int64_t cs_dim_row_by_key(const struct cs_dim *d, int64_t key);
/* cs_dim_first_row_by_name() - first row (earliest valid_from) with natural key name, or -1;
 * cs_dim_next_row_by_name() - the next version after `row`, or -1. */
int64_t cs_dim_first_row_by_name(const struct cs_dim *d, const char *name, size_t len);
int64_t cs_dim_next_row_by_name(const struct cs_dim *d, int64_t row);

#endif
