/*
 * Internal declarations shared by the engine's files: the store handle behind colstore.h and
 * the mapping of internal errors (struct cs_error) onto colstore_error.
 *
 * The error idiom of every entry point: a local `struct cs_error e = {0}`, failures recorded
 * with cs_error_set(&e, CS_E..., ...) (the one way to make an error, in every layer), a single
 * exit through `goto done` where `return cs_engine_return(err, rc, &e);` copies the error out —
 * or clears *err on success.
 */
#ifndef CS_ENGINE_H
#define CS_ENGINE_H

#include <pthread.h>
#include <stdatomic.h>

#include "engine/colstore.h"
#include "storage/base/status.h"
#include "storage/store.h"

struct colstore_store {
    struct cs_store *st;
    unsigned flags;
    pthread_mutex_t write_mu; /* serializes loads from threads of this process */
    atomic_uint refs;         /* the caller's (until colstore_close) + one per snapshot */
};

/* A pinned snapshot behind colstore_snapshot: keeps its store handle alive, and is kept alive
 * by the scans and Arrow streams reading it. */
struct colstore_snapshot {
    colstore_store *store;
    struct cs_snap *snap;
    atomic_uint refs; /* the caller's (until colstore_snapshot_close) + one per scan */
};

/* cs_engine_store_ref() / _unref() - take / drop a reference; the last one closes the store. */
void cs_engine_store_ref(colstore_store *s);
void cs_engine_store_unref(colstore_store *s);
/* cs_engine_snap_ref() / _unref() - the same for a snapshot. */
void cs_engine_snap_ref(colstore_snapshot *s);
void cs_engine_snap_unref(colstore_snapshot *s);

/* cs_engine_table() - the visible-column view of a table: the schema definition and, for each
 * public column index, the schema column. NULL (and COLSTORE_EINVAL in err) when unknown. */
struct cs_engine_table {
    const struct cs_table_def *def;
    size_t ncols;         /* visible columns */
    int col[CS_MAX_COLS]; /* public index -> schema column */
};
int cs_engine_table(const char *table, struct cs_engine_table *out, struct cs_error *e);
/* cs_engine_col_type() - the public type (enum colstore_type) of a schema column. */
int cs_engine_col_type(const struct cs_column_def *c);

/* cs_engine_auto_compact() - after a load's commit, under store->write_mu: compact the store
 * when the automatic policy's thresholds are met (engine/compact.c); best effort. */
void cs_engine_auto_compact(colstore_store *store);
/* cs_engine_return() - the end of every entry point: rc == CS_OK clears *err; otherwise e is
 * copied into *err (err may be NULL). Returns rc. */
int cs_engine_return(colstore_error *err, int rc, const struct cs_error *e);

/* cs_engine_read_options() - copy a caller's option struct (first member `size_t size`) into
 * dst, which holds the defaults and is dst_size bytes (this library's version). A size below
 * min_size (the first version's) or fields beyond dst_size that are not zero (a newer header
 * asking for something this library cannot do) are CS_EINVAL. */
int cs_engine_read_options(void *dst,
                           size_t dst_size,
                           const void *src,
                           size_t min_size,
                           const char *what,
                           struct cs_error *e);

struct cs_result;
/* A result behind colstore_result: a report's, or one a caller built (result_build.c). */
struct colstore_result {
    struct cs_result *r;
    /* colstore_result_text(): each cell's text, made on first use and kept until the result
     * is freed (rows * ncols pointers, allocated on the first call). */
    char **text;
    /* colstore_result_new(): the column names, owned (r->names point at them) */
    char *names[32]; /* CS_RESULT_MAX_COLS (query/report.h); result_build.c checks */
};
/* cs_engine_result() - the query layer's result behind a public one. */
const struct cs_result *cs_engine_result(const colstore_result *r);
/* cs_engine_result_wrap() - a public result owning r (NULL when memory runs out; r is then
 * still the caller's). */
colstore_result *cs_engine_result_wrap(struct cs_result *r);

/* cs_engine_parse_date() - "YYYY-MM-DD" → day number; false when it is not a date. */
bool cs_engine_parse_date(const char *s, int64_t *days);

/* cs_engine_today_days() - the current UTC day number. */
int64_t cs_engine_today_days(void);

/* cs_engine_max_rejects() - the parser's limit for an option's max_rejects (0: the default,
 * UINT64_MAX: none). */
static inline uint64_t cs_engine_max_rejects(uint64_t opt)
{
    return opt == 0 ? COLSTORE_DEFAULT_MAX_REJECTS : opt == UINT64_MAX ? 0 : opt;
}

#endif
