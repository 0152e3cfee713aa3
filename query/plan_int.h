/*
 * Internal to the star-query executor (query/plan*.c): the string pool that makes every text
 * value a small integer, calendar functions, and the per-worker group table with the
 * aggregates' states.
 */
#ifndef CS_QUERY_PLAN_INT_H
#define CS_QUERY_PLAN_INT_H

#include <pthread.h>

#include "query/plan.h"

/* ---- string pool (plan_pool.c): text values interned as ids, ids stable for the query ---- */

/* Ids live in pages of growing size: page p holds CS_POOL_FIRST << p ids, so a query that
 * interns a few names allocates a few KiB, and 21 pages hold 2^28 ids. */
#define CS_POOL_FIRST 256u
#define CS_POOL_PAGES 21u

struct cs_pool_ent {
    const char *s;
    size_t len;
};

/* Entries live in pages that never move, so a thread may read the entry of any id it was
 * given without the lock; interning takes it. */
struct cs_pool {
    pthread_mutex_t mu;
    struct cs_pool_ent *pages[CS_POOL_PAGES];
    char **chunks; /* the bytes, in chunks that never move */
    size_t nchunks, chunk_cap, chunk_used, chunk_size;
    size_t n;
    uint32_t *slots; /* open addressing: id + 1, 0 = empty */
    uint64_t *hashes;
    size_t mask;
};

int cs_pool_init(struct cs_pool *p, struct cs_error *err);
void cs_pool_free(struct cs_pool *p);
/* cs_pool_intern() - ids of n strings of column c (rows sel[0..n), or 0..n when sel is NULL)
 * into out; NULL rows get id 0 and are flagged by the caller. Takes the pool's lock once. */
int cs_pool_intern_col(struct cs_pool *p,
                       const struct cs_col *c,
                       const uint32_t *sel,
                       size_t n,
                       int64_t *out,
                       struct cs_error *err);
int cs_pool_intern(struct cs_pool *p, const char *s, size_t len, int64_t *id, struct cs_error *err);
/* The page of id and its index there. */
static inline size_t cs_pool_page(size_t id, size_t *at)
{
    const size_t q = id / CS_POOL_FIRST + 1; /* page p: q in [2^p, 2^(p+1)) */
    const size_t p = (size_t)(63 - __builtin_clzll((unsigned long long)q));
    *at = id - CS_POOL_FIRST * (((size_t)1 << p) - 1);
    return p;
}

static inline const char *cs_pool_str(const struct cs_pool *p, int64_t id, size_t *len)
{
    size_t at;
    const size_t page = cs_pool_page((size_t)id, &at);
    const struct cs_pool_ent *e = &p->pages[page][at];
    *len = e->len;
    return e->s;
}

/* ---- calendar functions (plan_cal.c): of µs since 1970 UTC ---- */

/* cs_cal_apply() - fn (enum cs_plan_fn, not NONE) of timestamp us: a timestamp (TRUNC_*), an
 * integer (extract), or a month / day name index 0..11 / 0..6 (the NAME functions). */
int64_t cs_cal_apply(int fn, int64_t us);
/* cs_cal_name() - the padded name PostgreSQL's to_char prints for index v of fn. */
const char *cs_cal_name(int fn, int64_t v);
/* cs_cal_result_type() - the logical type (enum cs_type) fn's values have. */
int cs_cal_result_type(int fn);

/* ---- group table and aggregate states (plan_group.c) ---- */

/* One aggregate's states, indexed by group. */
struct cs_agg_state {
    int64_t *v; /* count, sum, min/max value, bool state */
    int64_t *n; /* non-NULL inputs seen (sum, min/max, bool) */
    /* COUNT_DISTINCT: a set of (group, value) pairs */
    int64_t *set_g, *set_v;
    uint8_t *set_used;
    size_t set_n, set_mask;
    /* PERCENTILE: (group, value) pairs, in arrival order */
    uint32_t *pg;
    int64_t *pv;
    size_t pn, pcap;
    /* PERCENTILE finished by a kernel (plan_special.c): the value by group in v (a double's
     * bits), NULL where n is 0; the pairs are then unused */
    bool done;
};

struct cs_group_table {
    size_t nkeys, naggs;
    int64_t *keys;   /* ngroups x nkeys */
    uint32_t *nulls; /* bit k: key k is NULL */
    size_t ngroups, cap;
    uint32_t *slots; /* group + 1, 0 = empty */
    uint64_t *slot_hash;
    size_t mask;
    struct cs_agg_state agg[CS_PLAN_MAX_AGGS];
    size_t max_groups;
};

int cs_group_init(
    struct cs_group_table *t, size_t nkeys, size_t naggs, size_t max_groups, struct cs_error *err);
void cs_group_free(struct cs_group_table *t);
/* cs_group_ids() - the group of each of n rows whose key values are keys[k][i] (NULL when
 * knull[k] != NULL and knull[k][i]); inserted when new. */
int cs_group_ids(struct cs_group_table *t,
                 const int64_t *const *keys,
                 const uint8_t *const *knull,
                 size_t n,
                 uint32_t *gid,
                 struct cs_error *err);

/* Aggregate updates over n rows: gid[i], the argument's values v[i] (vnull[i] flags NULL; vnull
 * may be NULL), and `pass` (NULL: every row) the FILTER's truth per row (CS_TRUE passes). */
int cs_agg_update(struct cs_group_table *t,
                  size_t a,
                  const struct cs_plan_agg *spec,
                  int arg_type,
                  const struct cs_pool *pool,
                  const uint32_t *gid,
                  const int64_t *v,
                  const uint8_t *vnull,
                  const uint8_t *pass,
                  size_t n,
                  struct cs_error *err);

/* cs_group_merge() - fold table `from` into `into` (groups by key; states combined). */
int cs_group_merge(struct cs_group_table *into,
                   struct cs_group_table *from,
                   const struct cs_plan *p,
                   const int *arg_types,
                   const struct cs_pool *pool,
                   struct cs_error *err);

/* ---- specializations (plan_special.c) ---- */

/* A joined dimension as the executor resolved it. */
struct cs_plan_dim {
    const struct cs_keymap *map; /* key → row of the kept rows (UINT32_MAX: not kept) */
    const int64_t *keys;         /* the kept rows' keys */
    size_t nkeys;
    int64_t *const *vals;  /* [column][row] for the columns the plan reads (text: pool ids) */
    uint8_t *const *nulls; /* NULL for the others */
};

/* What the executor resolved before the fact scan. */
struct cs_plan_env {
    const struct cs_plan *p;
    struct cs_snap *snap;
    struct cs_pool *pool;
    struct cs_plan_dim dims[CS_PLAN_MAX_JOINS];
};

/* day-totals (plan_special.c): one aggregate as a partition's total — COUNT_ROWS (optionally
 * FILTERed on one flag, or on one text column equal to a constant), COUNT(col), SUM(integer
 * col). */
struct dt_measure {
    int kind;
    int col;  /* COUNT, SUM: the argument; COUNT_ROWS: the FILTER's column, or -1 */
    int filt; /* COUNT_ROWS: none, true, false, text (plan_special.c's enum filt) */
    const char *s;
    size_t len;
};

/* A report kernel chosen for a plan (plan_special.c). */
struct cs_plan_kernel {
    int kind;
    const char *name;            /* static */
    size_t j1, j2;               /* the joins the kernel reads: dim_time's, the other */
    int table_bit;               /* daily-aggregates: the fact table */
    int which[CS_PLAN_MAX_AGGS]; /* each aggregate's measure */
    struct dt_measure measures[CS_PLAN_MAX_AGGS]; /* day-totals: each aggregate's */
    bool need_join[CS_PLAN_MAX_JOINS];            /* joins the executor resolves for it */
};

/* cs_plan_kernel_choose() - whether a kernel computes plans of p's shape (from the plan alone:
 * no data read); *k says which and what it needs. */
bool cs_plan_kernel_choose(const struct cs_plan *p, struct cs_plan_kernel *k);

/* cs_plan_kernel_run() - runs k (the executor resolved k->need_join's dimensions in env): t
 * (initialized with p's keys and aggregates, empty) receives p's groups and their aggregate
 * states, as the general scan would leave them; stats' scan counts are added to. */
int cs_plan_kernel_run(const struct cs_plan_env *env,
                       const struct cs_plan_kernel *k,
                       struct cs_group_table *t,
                       struct cs_plan_stats *stats,
                       struct cs_error *err);

/* ---- the result (plan_out.c) ---- */

/* cs_plan_output() - the groups of t as p's result: keys then aggregates, ordered and limited.
 * key_types / arg_types: the logical types of the keys' and the aggregates' values. */
int cs_plan_output(const struct cs_plan *p,
                   const int *key_types,
                   const int *arg_types,
                   const struct cs_pool *pool,
                   struct cs_group_table *t,
                   struct cs_result **out,
                   struct cs_error *err);

#endif
