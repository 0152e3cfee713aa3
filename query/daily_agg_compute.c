/*
 * agg_agent_daily_performance of one day, as reference.sql's INSERT ... SELECT computes it:
 * one row per agent_key with any query, approval or training fact that day (approvals and
 * training with a NULL agent_key excluded), in agent_key order.
 *
 * Plan for a day: the distinct agent keys (a flat mark array over their span, or sort and
 * unique when the span is wide) → key map to group ids in key order → one pass per table
 * accumulating counts and sums per group → latencies scattered by group (counting sort) →
 * p95 by selection per group.
 */
#include "query/daily_agg.h"

#include <stdlib.h>
#include <string.h>

#include "query/kernel.h"
#include "query/numeric.h"
#include "query/percentile.h"
#include "query/report.h"

/* The distinct keys are found with a mark array when they span at most this many values. */
#define DAGG_DENSE_SPAN 65536u

struct dagg_acc {
    int64_t q_count, latency_sum, approved, edited, errors;
    int64_t a_count, sla_met;
    int64_t t_count, unsafe;
    size_t lat_begin, lat_fill;
};

struct cs_dagg_ws {
    int64_t *keys;
    size_t keys_cap;
    uint8_t *mark;
    uint32_t *gid;
    size_t gid_cap;
    struct dagg_acc *acc;
    size_t acc_cap;
    int64_t *lat;
    size_t lat_cap;
};

struct cs_dagg_ws *cs_dagg_ws_new(void)
{
    struct cs_dagg_ws *ws = calloc(1, sizeof(*ws));
    if (ws == NULL) return NULL;
    ws->mark = calloc(DAGG_DENSE_SPAN, 1);
    if (ws->mark == NULL) {
        free(ws);
        return NULL;
    }
    return ws;
}

void cs_dagg_ws_free(struct cs_dagg_ws *ws)
{
    if (ws == NULL) return;
    free(ws->keys);
    free(ws->mark);
    free(ws->gid);
    free(ws->acc);
    free(ws->lat);
    free(ws);
}

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return true;
    size_t n = *cap < 1024 ? 1024 : *cap;
    while (n < need) n *= 2;
    void *q = realloc(*p, n * elem);
    if (q == NULL) return false;
    *p = q;
    *cap = n;
    return true;
}

static size_t batch_rows(const struct cs_batch *b)
{
    return b != NULL ? b->rows : 0;
}

static int cmp_i64(const void *x, const void *y)
{
    const int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

/* The distinct non-NULL agent keys of the three batches, ascending, into ws->keys. */
static bool distinct_keys(struct cs_dagg_ws *ws, const struct cs_col *const *agent, size_t *nkeys)
{
    size_t total = 0;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (int t = 0; t < 3; t++) {
        const struct cs_col *c = agent[t];
        for (size_t i = 0; c != NULL && i < c->len; i++) {
            if (cs_col_is_null(c, i)) continue;
            lo = c->i64[i] < lo ? c->i64[i] : lo;
            hi = c->i64[i] > hi ? c->i64[i] : hi;
            total++;
        }
    }
    *nkeys = 0;
    if (total == 0) return true;
    const uint64_t span = (uint64_t)hi - (uint64_t)lo + 1;
    const bool dense = span != 0 && span <= DAGG_DENSE_SPAN;
    if (!grow((void **)&ws->keys, &ws->keys_cap, dense ? (size_t)span : total, sizeof(int64_t)))
        return false;
    size_t n = 0;
    for (int t = 0; t < 3; t++) {
        const struct cs_col *c = agent[t];
        for (size_t i = 0; c != NULL && i < c->len; i++) {
            if (cs_col_is_null(c, i)) continue;
            if (dense) {
                ws->mark[(uint64_t)c->i64[i] - (uint64_t)lo] = 1;
            } else {
                ws->keys[n++] = c->i64[i];
            }
        }
    }
    if (dense) {
        for (size_t k = 0; k < (size_t)span; k++) {
            if (ws->mark[k]) ws->keys[n++] = (int64_t)((uint64_t)lo + k);
            ws->mark[k] = 0;
        }
    } else {
        qsort(ws->keys, n, sizeof(*ws->keys), cmp_i64);
        size_t u = 0;
        for (size_t k = 0; k < n; k++) {
            if (u == 0 || ws->keys[u - 1] != ws->keys[k]) ws->keys[u++] = ws->keys[k];
        }
        n = u;
    }
    *nkeys = n;
    return true;
}
