/*
 * A worker's groups: an open-addressing table of group keys (a few int64 values and their NULL
 * bits; text is a string-pool id), and per aggregate a state array indexed by group. Counts
 * and sums are exact int64 (a sum that leaves 64 bits is an error, not a wrong number);
 * COUNT(DISTINCT) keeps a set of (group, value) pairs, PERCENTILE the (group, value) pairs
 * themselves, so that workers' states merge exactly.
 */
#include "query/bigbuf.h"
#include "query/plan_int.h"

#include <stdlib.h>
#include <string.h>

#include "storage/base/schema.h"

/* Values one query may keep for PERCENTILE and COUNT(DISTINCT) before it fails cleanly. */
#define MAX_VALUES (UINT64_C(1) << 28)

static int oom(struct cs_error *err)
{
    return cs_error_set(err, CS_ENOMEM, "out of memory");
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + UINT64_C(0x9E3779B97F4A7C15) + (h << 6) + (h >> 2);
    return h * UINT64_C(0xff51afd7ed558ccd);
}

int cs_group_init(
    struct cs_group_table *t, size_t nkeys, size_t naggs, size_t max_groups, struct cs_error *err)
{
    memset(t, 0, sizeof(*t));
    t->nkeys = nkeys;
    t->naggs = naggs;
    t->max_groups = max_groups;
    t->mask = 255;
    t->slots = calloc(t->mask + 1, sizeof(*t->slots));
    t->slot_hash = calloc(t->mask + 1, sizeof(*t->slot_hash));
    return t->slots != NULL && t->slot_hash != NULL ? CS_OK : oom(err);
}

void cs_group_free(struct cs_group_table *t)
{
    free(t->keys);
    free(t->nulls);
    free(t->slots);
    free(t->slot_hash);
    for (size_t a = 0; a < t->naggs; a++) {
        struct cs_agg_state *s = &t->agg[a];
        free(s->v);
        free(s->n);
        free(s->set_g);
        free(s->set_v);
        free(s->set_used);
        cs_big_free(s->pv, s->pcap * (sizeof(*s->pv) + sizeof(*s->pg))); /* pg inside it */
    }
    memset(t, 0, sizeof(*t));
}

static int grow_groups(struct cs_group_table *t, struct cs_error *err)
{
    size_t cap = t->cap ? 2 * t->cap : 64;
    int64_t *keys = realloc(t->keys, cap * (t->nkeys ? t->nkeys : 1) * sizeof(*keys));
    if (keys == NULL) return oom(err);
    t->keys = keys;
    uint32_t *nulls = realloc(t->nulls, cap * sizeof(*nulls));
    if (nulls == NULL) return oom(err);
    t->nulls = nulls;
    for (size_t a = 0; a < t->naggs; a++) {
        struct cs_agg_state *s = &t->agg[a];
        int64_t *v = realloc(s->v, cap * sizeof(*v));
        if (v == NULL) return oom(err);
        s->v = v;
        int64_t *n = realloc(s->n, cap * sizeof(*n));
        if (n == NULL) return oom(err);
        s->n = n;
    }
    t->cap = cap;
    return CS_OK;
}

static int grow_slots(struct cs_group_table *t, struct cs_error *err)
{
    const size_t cap = 2 * (t->mask + 1);
    uint32_t *slots = calloc(cap, sizeof(*slots));
    uint64_t *hash = calloc(cap, sizeof(*hash));
    if (slots == NULL || hash == NULL) {
        free(slots);
        free(hash);
        return oom(err);
    }
    for (size_t i = 0; i <= t->mask; i++) {
        if (t->slots[i] == 0) continue;
        size_t s = (size_t)t->slot_hash[i] & (cap - 1);
        while (slots[s] != 0)
            s = (s + 1) & (cap - 1);
        slots[s] = t->slots[i];
        hash[s] = t->slot_hash[i];
    }
    free(t->slots);
    free(t->slot_hash);
    t->slots = slots;
    t->slot_hash = hash;
    t->mask = cap - 1;
    return CS_OK;
}

static bool same_key(const struct cs_group_table *t, uint32_t g, const int64_t *key, uint32_t nulls)
{
    if (t->nulls[g] != nulls) return false;
    const int64_t *k = &t->keys[(size_t)g * t->nkeys];
    for (size_t j = 0; j < t->nkeys; j++)
        if (!(nulls & (1u << j)) && k[j] != key[j]) return false;
    return true;
}

/* The group of (key, nulls), inserted when new. */
static int group_of(struct cs_group_table *t,
                    const int64_t *key,
                    uint32_t nulls,
                    uint32_t *out,
                    struct cs_error *err)
{
    uint64_t h = nulls;
    for (size_t j = 0; j < t->nkeys; j++)
        h = mix(h, (nulls & (1u << j)) ? 0 : (uint64_t)key[j]);
    size_t s = (size_t)h & t->mask;
    while (t->slots[s] != 0) {
        const uint32_t g = t->slots[s] - 1;
        if (t->slot_hash[s] == h && same_key(t, g, key, nulls)) {
            *out = g;
            return CS_OK;
        }
        s = (s + 1) & t->mask;
    }
    if (t->ngroups >= t->max_groups)
        return cs_error_set(err, CS_ENOMEM,
                            "the query makes more than %zu groups (the engine's limit)",
                            t->max_groups);
    if (t->ngroups == t->cap) {
        const int rc = grow_groups(t, err);
        if (rc != CS_OK) return rc;
    }
    const uint32_t g = (uint32_t)t->ngroups++;
    for (size_t j = 0; j < t->nkeys; j++)
        t->keys[(size_t)g * t->nkeys + j] = (nulls & (1u << j)) ? 0 : key[j];
    t->nulls[g] = nulls;
    for (size_t a = 0; a < t->naggs; a++) {
        t->agg[a].v[g] = 0;
        t->agg[a].n[g] = 0;
    }
    t->slots[s] = g + 1;
    t->slot_hash[s] = h;
    if (2 * t->ngroups > t->mask) {
        const int rc = grow_slots(t, err);
        if (rc != CS_OK) return rc;
    }
    *out = g;
    return CS_OK;
}

int cs_group_ids(struct cs_group_table *t,
                 const int64_t *const *keys,
                 const uint8_t *const *knull,
                 size_t n,
                 uint32_t *gid,
                 struct cs_error *err)
{
    int64_t key[CS_PLAN_MAX_KEYS];
    for (size_t i = 0; i < n; i++) {
        uint32_t nulls = 0;
        for (size_t j = 0; j < t->nkeys; j++) {
            if (knull[j] != NULL && knull[j][i]) {
                nulls |= 1u << j;
                key[j] = 0;
            } else {
                key[j] = keys[j][i];
            }
        }
        const int rc = group_of(t, key, nulls, &gid[i], err);
        if (rc != CS_OK) return rc;
    }
    return CS_OK;
}

/* ---- aggregate states ---- */

/* a < b for values of logical type `type` (text: pool ids compared by their bytes). */
static int cmp_values(int type, const struct cs_pool *pool, int64_t a, int64_t b)
{
    if (cs_type_kind(type) == CS_K_STR) {
        size_t la, lb;
        const char *sa = cs_pool_str(pool, a, &la), *sb = cs_pool_str(pool, b, &lb);
        const int c = memcmp(sa, sb, la < lb ? la : lb);
        return c != 0 ? c : (la > lb) - (la < lb);
    }
    return (a > b) - (a < b);
}

static int set_grow(struct cs_agg_state *s, struct cs_error *err);

static int set_add(struct cs_agg_state *s, int64_t g, int64_t v, struct cs_error *err)
{
    if (2 * (s->set_n + 1) > s->set_mask + 1 || s->set_used == NULL) {
        const int rc = set_grow(s, err);
        if (rc != CS_OK) return rc;
    }
    size_t slot = (size_t)mix((uint64_t)g, (uint64_t)v) & s->set_mask;
    while (s->set_used[slot]) {
        if (s->set_g[slot] == g && s->set_v[slot] == v) return CS_OK;
        slot = (slot + 1) & s->set_mask;
    }
    if (s->set_n >= MAX_VALUES)
        return cs_error_set(err, CS_ENOMEM, "count(DISTINCT) over more than %llu values",
                            (unsigned long long)MAX_VALUES);
    s->set_used[slot] = 1;
    s->set_g[slot] = g;
    s->set_v[slot] = v;
    s->set_n++;
    return CS_OK;
}

static int set_grow(struct cs_agg_state *s, struct cs_error *err)
{
    const size_t cap = s->set_used == NULL ? 1024 : 2 * (s->set_mask + 1);
    struct cs_agg_state old = *s;
    s->set_g = malloc(cap * sizeof(*s->set_g));
    s->set_v = malloc(cap * sizeof(*s->set_v));
    s->set_used = calloc(cap, 1);
    if (s->set_g == NULL || s->set_v == NULL || s->set_used == NULL) {
        free(s->set_g);
        free(s->set_v);
        free(s->set_used);
        s->set_g = old.set_g;
        s->set_v = old.set_v;
        s->set_used = old.set_used;
        return oom(err);
    }
    s->set_mask = cap - 1;
    s->set_n = 0;
    int rc = CS_OK;
    for (size_t i = 0; old.set_used != NULL && i <= old.set_mask && rc == CS_OK; i++)
        if (old.set_used[i]) rc = set_add(s, old.set_g[i], old.set_v[i], err);
    free(old.set_g);
    free(old.set_v);
    free(old.set_used);
    return rc;
}

static int pct_add(struct cs_agg_state *s, uint32_t g, int64_t v, struct cs_error *err)
{
    if (s->pn == s->pcap) {
        if (s->pn >= MAX_VALUES)
            return cs_error_set(err, CS_ENOMEM, "percentile_cont over more than %llu values",
                                (unsigned long long)MAX_VALUES);
        /* one mapping: the values, then the group ids (moved up as it doubles) */
        const size_t cap = s->pcap ? 2 * s->pcap : 4096;
        const size_t per = sizeof(*s->pv) + sizeof(*s->pg);
        char *base = cs_big_resize(s->pv, s->pcap * per, cap * per);
        if (base == NULL) return oom(err);
        uint32_t *pg = (uint32_t *)(void *)(base + cap * sizeof(*s->pv));
        if (s->pn > 0) memcpy(pg, base + s->pcap * sizeof(*s->pv), s->pn * sizeof(*pg));
        s->pv = (int64_t *)(void *)base;
        s->pg = pg;
        s->pcap = cap;
    }
    s->pg[s->pn] = g;
    s->pv[s->pn++] = v;
    return CS_OK;
}

static int update_one(struct cs_agg_state *s,
                      int kind,
                      int type,
                      const struct cs_pool *pool,
                      uint32_t g,
                      int64_t v,
                      struct cs_error *err)
{
    switch (kind) {
    case CS_AGG_COUNT:
        s->v[g]++;
        return CS_OK;
    case CS_AGG_SUM:
        if (__builtin_add_overflow(s->v[g], v, &s->v[g]))
            return cs_error_set(err, CS_EINPUT, "sum out of the engine's 64-bit range");
        s->n[g]++;
        return CS_OK;
    case CS_AGG_MIN:
    case CS_AGG_MAX: {
        const int c = s->n[g] == 0 ? 0 : cmp_values(type, pool, v, s->v[g]);
        if (s->n[g] == 0 || (kind == CS_AGG_MIN ? c < 0 : c > 0)) s->v[g] = v;
        s->n[g]++;
        return CS_OK;
    }
    case CS_AGG_BOOL_AND:
        s->v[g] = s->n[g] == 0 ? (v != 0) : (s->v[g] && v != 0);
        s->n[g]++;
        return CS_OK;
    case CS_AGG_BOOL_OR:
        s->v[g] = s->n[g] == 0 ? (v != 0) : (s->v[g] || v != 0);
        s->n[g]++;
        return CS_OK;
    case CS_AGG_COUNT_DISTINCT:
        return set_add(s, g, v, err);
    case CS_AGG_PERCENTILE:
        return pct_add(s, g, v, err);
    default:
        return CS_OK;
    }
}

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
                  struct cs_error *err)
{
    struct cs_agg_state *s = &t->agg[a];
    if (spec->kind == CS_AGG_COUNT_ROWS) {
        for (size_t i = 0; i < n; i++)
            s->v[gid[i]] += pass == NULL || pass[i] == CS_TRUE;
        return CS_OK;
    }
    if (spec->kind == CS_AGG_COUNT && pass == NULL) {
        for (size_t i = 0; i < n; i++)
            s->v[gid[i]] += vnull == NULL || !vnull[i];
        return CS_OK;
    }
    if (spec->kind == CS_AGG_SUM && pass == NULL && vnull == NULL) {
        for (size_t i = 0; i < n; i++) {
            if (__builtin_add_overflow(s->v[gid[i]], v[i], &s->v[gid[i]]))
                return cs_error_set(err, CS_EINPUT, "sum out of the engine's 64-bit range");
            s->n[gid[i]]++;
        }
        return CS_OK;
    }
    for (size_t i = 0; i < n; i++) {
        if ((pass != NULL && pass[i] != CS_TRUE) || (vnull != NULL && vnull[i])) continue;
        const int rc = update_one(s, spec->kind, arg_type, pool, gid[i], v[i], err);
        if (rc != CS_OK) return rc;
    }
    return CS_OK;
}

/* Fold `from`'s state of group gf into `into`'s group gi. */
static int merge_state(struct cs_agg_state *si,
                       const struct cs_agg_state *sf,
                       int kind,
                       int type,
                       const struct cs_pool *pool,
                       uint32_t gi,
                       uint32_t gf,
                       struct cs_error *err)
{
    switch (kind) {
    case CS_AGG_COUNT_ROWS:
    case CS_AGG_COUNT:
        si->v[gi] += sf->v[gf];
        return CS_OK;
    case CS_AGG_SUM:
        if (__builtin_add_overflow(si->v[gi], sf->v[gf], &si->v[gi]))
            return cs_error_set(err, CS_EINPUT, "sum out of the engine's 64-bit range");
        si->n[gi] += sf->n[gf];
        return CS_OK;
    case CS_AGG_MIN:
    case CS_AGG_MAX:
    case CS_AGG_BOOL_AND:
    case CS_AGG_BOOL_OR:
        if (sf->n[gf] == 0) return CS_OK;
        if (si->n[gi] == 0) {
            si->v[gi] = sf->v[gf];
            si->n[gi] = sf->n[gf];
            return CS_OK;
        }
        return update_one(si, kind, type, pool, gi, sf->v[gf], err);
    default:
        return CS_OK; /* sets and values are merged by the caller */
    }
}

int cs_group_merge(struct cs_group_table *into,
                   struct cs_group_table *from,
                   const struct cs_plan *p,
                   const int *arg_types,
                   const struct cs_pool *pool,
                   struct cs_error *err)
{
    uint32_t *map = malloc((from->ngroups + 1) * sizeof(*map));
    if (map == NULL) return oom(err);
    int rc = CS_OK;
    for (size_t g = 0; g < from->ngroups && rc == CS_OK; g++) {
        rc = group_of(into, &from->keys[g * from->nkeys], from->nulls[g], &map[g], err);
        for (size_t a = 0; a < p->naggs && rc == CS_OK; a++)
            rc = merge_state(&into->agg[a], &from->agg[a], p->aggs[a].kind, arg_types[a], pool,
                             map[g], (uint32_t)g, err);
    }
    for (size_t a = 0; a < p->naggs && rc == CS_OK; a++) {
        const struct cs_agg_state *sf = &from->agg[a];
        for (size_t i = 0; sf->set_used != NULL && i <= sf->set_mask && rc == CS_OK; i++)
            if (sf->set_used[i]) rc = set_add(&into->agg[a], map[sf->set_g[i]], sf->set_v[i], err);
        for (size_t i = 0; i < sf->pn && rc == CS_OK; i++)
            rc = pct_add(&into->agg[a], map[sf->pg[i]], sf->pv[i], err);
    }
    free(map);
    return rc;
}
