/*
 * The query kernel's building blocks, shared by the reports:
 * - parallel work: contiguous ranges of work items (partitions, days) split across threads
 *   by weight (rows), each worker with its own state (scratch columns, partial aggregates);
 * - key maps: int64 key → small dense id (a flat array when the key span is small, an
 *   open-addressing hash table otherwise), looked up a vector at a time;
 * - dimension columns: only the columns a report needs, read from the dimension partition.
 *
 * Nothing here allocates per row; every buffer is sized before the scan loops run.
 */
#ifndef CS_QUERY_KERNEL_H
#define CS_QUERY_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/base/column.h"
#include "storage/base/status.h"
#include "storage/store.h"

#define CS_PAR_MAX_WORKERS 8u
/* Below this many rows in total a report runs on the calling thread only: starting a thread
 * costs more than it saves. */
#define CS_PAR_MIN_ROWS 16384u

/* A work item callback: process item `item` with the worker's `state`. */
typedef int (*cs_par_fn)(void *state, size_t item, struct cs_error *err);

/* cs_par_workers() - how many workers to use for nitems items of total_weight rows with
 * `threads` requested: at least 1, at most min(nitems, threads, CS_PAR_MAX_WORKERS). threads
 * 0 means the default, 2, and 1 below CS_PAR_MIN_ROWS rows. */
size_t cs_par_workers(size_t nitems, uint64_t total_weight, unsigned threads);

/* cs_par_run() - run fn over items [0, nitems) with `workers` workers (states[w] for worker
 * w; worker 0 runs on the calling thread). Items are handed out one at a time in increasing
 * order from a shared counter, so a worker that meets cheap items takes more of them (the
 * work of a day is not proportional to its rows); which worker runs an item is not fixed, so
 * per-worker results must be merged order-independently or placed by item. After a failure
 * no new item starts; the error returned is that of the lowest failing item (every lower item
 * had started, so the choice does not depend on timing). */
int cs_par_run(
    size_t nitems, size_t workers, cs_par_fn fn, void *const *states, struct cs_error *err);

/* cs_par_set_cancel() - until reset with NULL, cs_par_run() calls made by this thread stop
 * before their next item once *cancel is non-zero, failing with CS_EINVAL "canceled": how the
 * executor's cancel flag reaches a report kernel's workers (plan_exec.c). */
void cs_par_set_cancel(const volatile int *cancel);

struct cs_keymap {
    uint32_t miss;   /* id returned for absent keys (and NULLs) */
    int64_t base;    /* dense: first key */
    size_t span;     /* dense: keys base .. base + span - 1; 0 when hashed */
    uint32_t *dense; /* dense: id per key, miss when absent */
    int64_t *hkeys;  /* hashed: keys */
    uint32_t *hvals; /* hashed: ids, UINT32_MAX = empty slot */
    size_t hmask;
};

/* cs_keymap_build() - map keys[i] → ids[i] (ids < UINT32_MAX; a repeated key keeps the last
 * id); any other key maps to `miss`. CS_ENOMEM on failure (m left empty). */
int cs_keymap_build(struct cs_keymap *m,
                    const int64_t *keys,
                    const uint32_t *ids,
                    size_t n,
                    uint32_t miss,
                    struct cs_error *err);
void cs_keymap_free(struct cs_keymap *m);
/* cs_keymap_lookup() - out[i] = id of keys[i], or miss when absent or nulls[i] (nulls may be
 * NULL). */
void cs_keymap_lookup(
    const struct cs_keymap *m, const int64_t *keys, const uint8_t *nulls, size_t n, uint32_t *out);

/* Packed booleans, for kernels that count flags eight rows at a time. */
/* cs_qbool_is_bits() - whether cs_qbool_bits() can read BOOL view v (bits, constant, empty). */
bool cs_qbool_is_bits(const struct cs_seg_view *v);
/* cs_qbool_bits() - the packed bits of rows [off, off + n) of BOOL view v (bit = true), or of
 * its NULL map with `nulls` (bit = NULL; NULL when no row is NULL); constant columns are spelled
 * out into buf ((n + 7) / 8 bytes). off is a multiple of 8. */
const uint8_t *
cs_qbool_bits(const struct cs_seg_view *v, bool nulls, size_t off, size_t n, uint8_t *buf);
/* cs_spread8[b]: bit k of b in the low bit of byte k (eight rows' flags as eight byte codes). */
extern const uint64_t cs_spread8[256];

/* cs_qdim_read() - columns cols[0..ncols) of dimension `table` into out[0..ncols) (each
 * initialized here with the column's kind; release with cs_col_free()). A store without the
 * dimension yields zero rows. *rows receives the row count. */
int cs_qdim_read(struct cs_snap *snap,
                 int table,
                 const int *cols,
                 size_t ncols,
                 struct cs_col *out,
                 size_t *rows,
                 struct cs_error *err);

/* cs_qread_cols() - columns cols[0..ncols) of partition `part` of `table` into out[] (their
 * capacity reused), checking that they have the same row count; *rows receives it. */
int cs_qread_cols(struct cs_snap *snap,
                  int table,
                  size_t part,
                  const int *cols,
                  size_t ncols,
                  struct cs_col *out,
                  size_t *rows,
                  struct cs_error *err);

/* cs_qcheck_not_null() - CS_ECORRUPT when a NOT NULL column read from the store has NULLs. */
int cs_qcheck_not_null(const struct cs_col *c, int table, int col, struct cs_error *err);

/* cs_qname_cmp() - bytewise comparison of two strings (COLLATE "C"): <0, 0, >0. */
int cs_qname_cmp(const char *a, size_t alen, const char *b, size_t blen);

/* Dimension rows grouped by a text column (agent_name, user_id): group ids in bytewise order
 * of the text, and key → group id. */
struct cs_name_groups {
    size_t ngroups;
    const char **names; /* group id → name (points into the dimension's column) */
    size_t *name_lens;
    struct cs_keymap map; /* surrogate key → group id; miss = ngroups */
};

/* cs_name_groups_build() - groups of the rows of (keys, names) by name. CS_ENOMEM. */
int cs_name_groups_build(struct cs_name_groups *g,
                         const struct cs_col *keys,
                         const struct cs_col *names,
                         struct cs_error *err);
void cs_name_groups_free(struct cs_name_groups *g);

/* The fact partitions of a window of dim_time rows: what reports filter by date. */
struct cs_day_slot {
    size_t part;      /* the day's first row group in the snapshot */
    size_t nparts;    /* its row groups: [part, part + nparts) */
    int32_t time_key; /* its time_key */
    int64_t days;     /* dim_time.full_date of it */
    uint32_t group;   /* report-defined group of the day (month for approval-queue) */
};

/* cs_day_weights() - weights[i] = the rows of days[i]'s row groups of table (the work of a
 * day, for cs_par_run()); returns their sum. */
uint64_t cs_day_weights(struct cs_snap *snap,
                        int table,
                        const struct cs_day_slot *days,
                        size_t ndays,
                        uint64_t *weights);

/* cs_days_to_parts() - sort days[0..ndays) by time_key and keep those that have a partition
 * in fact table `table`, with .part and .nparts set to its row groups (compacted in place);
 * *n receives how many remain. Partitions outside [first time_key, last time_key] are never
 * looked at. */
void cs_days_to_parts(
    struct cs_snap *snap, int table, struct cs_day_slot *days, size_t ndays, size_t *n);

#endif
