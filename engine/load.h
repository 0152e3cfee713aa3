/*
 * One load = one transaction (docs/loading.md): parse an export (etl/), check it against the store
 * (foreign keys, key conflicts, natural-key uniqueness), merge the new rows into their
 * partitions, refresh the daily aggregates of every day touched (query/), commit (storage/).
 *
 * load.c: entry points and the transaction; load_dim.c: dimension tables; load_fact.c: fact
 * tables; load_merge.c: row comparison and key-ordered merging shared by both.
 */
#ifndef CS_ENGINE_LOAD_H
#define CS_ENGINE_LOAD_H

#include "engine/engine.h"
#include "engine/hmap.h"
#include "etl/parse.h"
#include "storage/base/column.h"
#include "storage/dim_index.h"
#include "storage/base/limits.h"

struct cs_session;

struct cs_load {
    const struct cs_table_def *t;
    struct cs_session *sess;
    struct cs_snap *snap; /* the version the load starts from (the session's) */
    struct cs_parser *parser;
    const colstore_load_options *opts; /* never NULL: the caller's options read by size */
    uint64_t bytes_total;
    colstore_load_stats stats;
    struct cs_error e;
};

/* cs_load_dim() / cs_load_fact() - parse everything, check, and put the changed partitions
 * into the session ld->sess (not committed; a fact load touches the days it wrote). CS_EINPUT
 * on bad input without a rejects file. */
int cs_load_dim(struct cs_load *ld);
int cs_load_fact(struct cs_load *ld);

/* cs_rows_equal() - whether row a of x and row b of y are equal in every visible column. */
bool cs_rows_equal(const struct cs_batch *x, size_t a, const struct cs_batch *y, size_t b);

/* cs_merge_by_key() - out (reset first) = the rows of `old` (all) and the rows of `add` whose
 * keep[] flag is set (all of them when keep is NULL), ordered by the table's key column. */
int cs_merge_by_key(const struct cs_batch *old,
                    const struct cs_batch *add,
                    const uint8_t *keep,
                    struct cs_batch *out,
                    struct cs_error *err);

/* cs_load_progress() - report progress through opts->progress, if any. CS_ECANCELED (in
 * ld->e) when the callback asks to stop. */
int cs_load_progress(struct cs_load *ld);

#endif
