/*
 * agg_agent_daily_performance of one day, as reference.sql's INSERT ... SELECT computes it:
 * one row per agent_key with any query, approval or training fact that day (approvals and
 * training with a NULL agent_key excluded), in agent_key order.
 *
 * Fast plan (agent keys within a span of DAGG_DENSE_SPAN values, at most DAGG_MAX_SLOTS of
 * them a day — a day has ~10): keys → dense slots, slot = key - lo when the day's keys span at
 * most DAGG_MAX_SLOTS values (a FOR-coded agent_key unpacked straight into slot bytes), else
 * through a byte lookup array over the span (a key gets the next slot the first time it is
 * seen; the slots are put in key order at the end). Pass 1, a vector at a time: each query
 * row's slot is kept, and its flags are folded with the slot into one code (slot, approved,
 * edited, error) counted in a histogram — one increment a row instead of five sums, eight
 * rows' codes built in one word; approvals and training likewise (slot, flag); the latencies
 * are decoded into a day buffer. Counts are kept in QLANES copies (row i in copy i % QLANES).
 * Then each slot gets a latency threshold below its p95 (carried from the worker's previous
 * day, else from a sample of the day's rows: day_thresholds); pass 2 sums the latencies per
 * slot and keeps only those at or above the threshold (~11 %), where selection finds the two
 * ranks percentile_cont reads: no scatter of every latency, no selection over whole groups,
 * and a result that never depends on the threshold (one too high is caught and the slot
 * redone whole). Fed by whole columns (cs_dagg_day: the loader's batches) or by column views
 * decoded a vector at a time (cs_dagg_day_views: daily-agg --recompute), both through the
 * same functions.
 *
 * General plan (any keys; dagg_day_generic): the distinct agent keys (a flat mark array over
 * their span, or sort and unique when the span is wide) → key map to group ids in key order →
 * one pass per table accumulating counts and sums per group → latencies scattered by group
 * (counting sort) → p95 by selection per group.
 */
#include "query/daily_agg.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "query/kernel.h"
#include "query/numeric.h"
#include "query/percentile.h"
#include "query/report.h"
#include "storage/base/limits.h"
#include "storage/codec.h"

/* The distinct keys are found with a mark array (general plan), or mapped to slots with a
 * lookup array (fast plan), when they span at most this many values. */
#define DAGG_DENSE_SPAN 65536u
/* Fast plan: slots 0 .. DAGG_MAX_SLOTS - 1; SLOT_NULL for a NULL agent (counted nowhere),
 * SLOT_NONE in the lookup array for a key not seen yet. */
#define DAGG_MAX_SLOTS 254u
#define SLOT_NULL      254u
#define SLOT_NONE      255u
#define SLOT_NULL_BITS 127u /* SLOT_NULL for count_flag_bits, used when a day has fewer slots */
#define QCODES         8u   /* (approved, edited, error) of a query row */
/* Counts and sums per slot are kept in QLANES copies, row i in copy i % QLANES: a slot that
 * repeats in consecutive rows (one agent's burst) would otherwise chain every increment
 * through the same memory word (store-to-load forwarding, ~5 cycles each). */
#define QLANES 4u
_Static_assert(CS_VECTOR_SIZE % 8 == 0, "vectors start at a multiple of QLANES rows and of 8");
#define DAGG_PCT 0.95

struct dagg_acc {
    int64_t q_count, latency_sum, approved, edited, errors;
    int64_t a_count, sla_met;
    int64_t t_count, unsafe;
    size_t lat_begin, lat_fill;
};

/* Views of one day's partitions: queries, then approvals, then training. */
enum {
    V_Q_AGENT,
    V_Q_LATENCY,
    V_Q_APPROVED,
    V_Q_EDITED,
    V_Q_ERROR,
    V_A_AGENT,
    V_A_SLA,
    V_T_AGENT,
    V_T_SAFE,
    V_COUNT
};

struct cs_dagg_ws {
    /* fast plan */
    uint8_t *lut; /* DAGG_DENSE_SPAN slots, SLOT_NONE between days */
    int64_t lo;   /* key of lut[0] */
    uint32_t nslots;
    bool ident; /* the day's keys span at most DAGG_MAX_SLOTS values: slot = key - lo */
    int64_t slot_key[DAGG_MAX_SLOTS];
    uint32_t qhist[QLANES][(DAGG_MAX_SLOTS + 1) * QCODES]; /* [lane][slot * QCODES + code],
                                                               zero between days */
    uint32_t ahist[QLANES][(DAGG_MAX_SLOTS + 1) * 2];      /* [lane][slot * 2 + sla_met] */
    uint32_t thist[QLANES][(DAGG_MAX_SLOTS + 1) * 2];      /* [lane][slot * 2 + unsafe]; both zero
                                                         between days */
    int64_t lat_sum[QLANES][DAGG_MAX_SLOTS];
    int64_t thr[DAGG_MAX_SLOTS]; /* latency thresholds (lat_thresholds) */
    /* thresholds that worked on the worker's previous day, by agent key (carry_thresholds) */
    int64_t carry_key[DAGG_MAX_SLOTS], carry_thr[DAGG_MAX_SLOTS];
    uint32_t ncarry;
    size_t sampled; /* slots whose threshold was sampled (cs_dagg_ws_sampled) */
    int64_t *smp;   /* the sampled latencies */
    size_t smp_cap;
    uint8_t *slot; /* slot of every query row of the day */
    size_t slot_cap;
    int64_t *tmp; /* each slot's latencies at or above its threshold */
    size_t tmp_cap;
    uint32_t *cand; /* rows whose latency reaches their slot's threshold (lat_tails) */
    size_t cand_cap;
    struct cs_seg_view view[V_COUNT];
    int64_t vkey[CS_VECTOR_SIZE];
    uint8_t vslot[CS_VECTOR_SIZE], vb[4][CS_VECTOR_SIZE];
    /* general plan (and the latencies of both) */
    int64_t *keys;
    size_t keys_cap;
    uint8_t *mark;
    uint32_t *gid;
    size_t gid_cap;
    struct dagg_acc *acc;
    size_t acc_cap;
    int64_t *lat;
    size_t lat_cap;
    /* rows to a sink instead of the output batch (cs_dagg_ws_set_sink) */
    cs_dagg_sink sink;
    void *sink_arg;
};

void cs_dagg_ws_set_sink(struct cs_dagg_ws *ws, cs_dagg_sink sink, void *arg)
{
    ws->sink = sink;
    ws->sink_arg = arg;
}

struct cs_dagg_ws *cs_dagg_ws_new(void)
{
    struct cs_dagg_ws *ws = calloc(1, sizeof(*ws));
    if (ws == NULL) return NULL;
    for (int j = 0; j < V_COUNT; j++)
        cs_seg_view_init(&ws->view[j]);
    ws->mark = calloc(DAGG_DENSE_SPAN, 1);
    ws->lut = malloc(DAGG_DENSE_SPAN);
    if (ws->mark == NULL || ws->lut == NULL) {
        cs_dagg_ws_free(ws);
        return NULL;
    }
    memset(ws->lut, SLOT_NONE, DAGG_DENSE_SPAN);
    return ws;
}

void cs_dagg_ws_free(struct cs_dagg_ws *ws)
{
    if (ws == NULL) return;
    for (int j = 0; j < V_COUNT; j++)
        cs_seg_view_free(&ws->view[j]);
    free(ws->lut);
    free(ws->smp);
    free(ws->slot);
    free(ws->tmp);
    free(ws->cand);
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
    while (n < need)
        n *= 2;
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

static int check_batch(const struct cs_batch *b,
                       int table,
                       const int *cols,
                       size_t ncols,
                       size_t nn,
                       struct cs_error *err)
{
    if (b == NULL || b->rows == 0) return CS_OK;
    const struct cs_table_def *t = cs_schema_table(table);
    if (b->table != t)
        return cs_error_set(err, CS_EINVAL, "daily aggregates: not a %s batch", t->name);
    for (size_t j = 0; j < ncols; j++) {
        if (b->cols[cols[j]].len != b->rows) {
            return cs_error_set(err, CS_EINVAL, "daily aggregates: %s.%s has %zu rows, not %zu",
                                t->name, t->cols[cols[j]].name, b->cols[cols[j]].len, b->rows);
        }
        /* the first nn columns are NOT NULL */
        if (j < nn) {
            const int rc = cs_qcheck_not_null(&b->cols[cols[j]], table, cols[j], err);
            if (rc != CS_OK) return rc;
        }
    }
    return CS_OK;
}

static void
acc_queries(struct cs_dagg_ws *ws, const struct cs_keymap *map, const struct cs_batch *q)
{
    const size_t rows = q->rows;
    const int64_t *lat = q->cols[CS_FQ_LATENCY].i64;
    const uint8_t *appr = q->cols[CS_FQ_APPROVED].b8, *appr_null = q->cols[CS_FQ_APPROVED].nulls;
    const uint8_t *edit = q->cols[CS_FQ_HUMAN_EDITED].b8, *error = q->cols[CS_FQ_ERROR].b8;
    uint32_t *gid = ws->gid;
    cs_keymap_lookup(map, q->cols[CS_FQ_AGENT].i64, NULL, rows, gid);
    for (size_t i = 0; i < rows; i++) {
        struct dagg_acc *a = &ws->acc[gid[i]];
        a->q_count++;
        a->latency_sum += lat[i];
        a->approved += appr[i] & (appr_null != NULL ? appr_null[i] ^ 1 : 1);
        a->edited += edit[i];
        a->errors += error[i];
    }
    /* counting sort of the latencies by group: each group's values contiguous */
    size_t begin = 0;
    for (size_t g = 0; g < map->miss; g++) {
        ws->acc[g].lat_begin = begin;
        begin += (size_t)ws->acc[g].q_count;
    }
    for (size_t i = 0; i < rows; i++) {
        struct dagg_acc *a = &ws->acc[gid[i]];
        ws->lat[a->lat_begin + a->lat_fill++] = lat[i];
    }
}

/* Approvals (sla_met = true) or training (safe_to_send = false) per group; NULL agents and
 * NULL flags count for nothing. */
static void acc_flagged(struct cs_dagg_ws *ws,
                        const struct cs_keymap *map,
                        const struct cs_col *agent,
                        const struct cs_col *flag,
                        bool approvals)
{
    const size_t rows = agent->len;
    uint32_t *gid = ws->gid;
    cs_keymap_lookup(map, agent->i64, agent->nulls, rows, gid);
    const uint8_t want = approvals ? 1 : 0;
    for (size_t i = 0; i < rows; i++) {
        struct dagg_acc *a = &ws->acc[gid[i]];
        const int64_t hit = flag->b8[i] == want && !cs_col_is_null(flag, i);
        if (approvals) {
            a->a_count++;
            a->sla_met += hit;
        } else {
            a->t_count++;
            a->unsafe += hit;
        }
    }
}

static void push_numeric(struct cs_col *c, bool present, int64_t v, bool *ok)
{
    *ok &= present ? cs_col_push_i64(c, v) : cs_col_push_null(c);
}

/* One output row for group g; CS_EINPUT when a value overflows its numeric(10,2) column. */
static int emit_row(const struct cs_dagg_ws *ws,
                    const struct dagg_acc *a,
                    int64_t agent_key,
                    double p95_value,
                    int32_t time_key,
                    struct cs_batch *out,
                    struct cs_error *err)
{
    if (ws->sink != NULL) {
        const struct cs_dagg_raw raw = {agent_key,   time_key,   a->q_count, a->latency_sum,
                                        a->approved, a->edited,  a->errors,  a->a_count,
                                        a->sla_met,  a->t_count, a->unsafe,  p95_value};
        return ws->sink(ws->sink_arg, &raw, err);
    }
    const bool q = a->q_count > 0;
    int64_t avg = 0, p95 = 0;
    if (q) {
        avg = cs_avg2(a->latency_sum, 0, a->q_count, 1);
        if (!cs_float8_to_numeric(p95_value, 2, &p95) || !cs_numeric_fits(p95, 10) ||
            !cs_numeric_fits(avg, 10)) {
            return cs_error_set(err, CS_EINPUT,
                                "agg_agent_daily_performance: numeric field overflow "
                                "(latency of agent_key %lld on %d)",
                                (long long)agent_key, (int)time_key);
        }
    }
    struct cs_col *c = out->cols;
    bool ok = true;
    ok &= cs_col_push_i64(&c[CS_AGG_AGENT], agent_key);
    ok &= cs_col_push_i64(&c[CS_AGG_TIME], time_key);
    ok &= cs_col_push_i64(&c[CS_AGG_TOTAL_QUERIES], a->q_count);
    push_numeric(&c[CS_AGG_AVG_LATENCY], q, avg, &ok);
    push_numeric(&c[CS_AGG_P95_LATENCY], q, p95, &ok);
    push_numeric(&c[CS_AGG_APPROVAL_RATE], q, q ? cs_pct2(a->approved, a->q_count) : 0, &ok);
    push_numeric(&c[CS_AGG_EDIT_RATE], q, q ? cs_pct2(a->edited, a->q_count) : 0, &ok);
    push_numeric(&c[CS_AGG_ERROR_RATE], q, q ? cs_pct2(a->errors, a->q_count) : 0, &ok);
    ok &= cs_col_push_i64(&c[CS_AGG_TOTAL_APPROVALS], a->a_count);
    ok &= cs_col_push_i64(&c[CS_AGG_TOTAL_FEEDBACK], a->t_count);
    ok &= cs_col_push_i64(&c[CS_AGG_UNSAFE_COUNT], a->unsafe);
    const bool s = a->a_count > 0;
    push_numeric(&c[CS_AGG_SLA_COMPLIANCE], s, s ? cs_pct2(a->sla_met, a->a_count) : 0, &ok);
    if (!ok) return cs_error_set(err, CS_ENOMEM, "out of memory for daily aggregates");
    out->rows++;
    return CS_OK;
}

static const int q_cols[5] = {CS_FQ_AGENT, CS_FQ_LATENCY, CS_FQ_HUMAN_EDITED, CS_FQ_ERROR,
                              CS_FQ_APPROVED};
static const int a_cols[2] = {CS_FA_AGENT, CS_FA_SLA_MET};
static const int t_cols[2] = {CS_FT_AGENT, CS_FT_SAFE};

/* The general plan over checked batches. */
static int dagg_day_generic(struct cs_dagg_ws *ws,
                            int32_t time_key,
                            const struct cs_batch *queries,
                            const struct cs_batch *approvals,
                            const struct cs_batch *training,
                            struct cs_batch *out,
                            struct cs_error *err)
{
    const size_t nq = batch_rows(queries), na = batch_rows(approvals), nt = batch_rows(training);
    const struct cs_col *agent[3] = {nq ? &queries->cols[CS_FQ_AGENT] : NULL,
                                     na ? &approvals->cols[CS_FA_AGENT] : NULL,
                                     nt ? &training->cols[CS_FT_AGENT] : NULL};
    size_t nkeys = 0;
    size_t max_rows = nq > na ? nq : na;
    max_rows = max_rows > nt ? max_rows : nt;
    if (!distinct_keys(ws, agent, &nkeys) ||
        !grow((void **)&ws->gid, &ws->gid_cap, max_rows > nkeys ? max_rows : nkeys,
              sizeof(uint32_t)) ||
        !grow((void **)&ws->lat, &ws->lat_cap, nq, sizeof(int64_t)) ||
        !grow((void **)&ws->acc, &ws->acc_cap, nkeys + 1, sizeof(struct dagg_acc))) {
        return cs_error_set(err, CS_ENOMEM, "out of memory for daily aggregates");
    }
    if (nkeys == 0) return CS_OK;
    memset(ws->acc, 0, (nkeys + 1) * sizeof(*ws->acc));
    uint32_t *ids = (uint32_t *)ws->gid; /* 0..nkeys-1 before the gid array is used */
    for (size_t k = 0; k < nkeys; k++)
        ids[k] = (uint32_t)k;
    struct cs_keymap map;
    int rc = cs_keymap_build(&map, ws->keys, ids, nkeys, (uint32_t)nkeys, err);
    if (rc != CS_OK) return rc;
    if (nq > 0) acc_queries(ws, &map, queries);
    if (na > 0) acc_flagged(ws, &map, agent[1], &approvals->cols[CS_FA_SLA_MET], true);
    if (nt > 0) acc_flagged(ws, &map, agent[2], &training->cols[CS_FT_SAFE], false);
    cs_keymap_free(&map);
    for (size_t g = 0; g < nkeys && rc == CS_OK; g++) {
        const struct dagg_acc *a = &ws->acc[g];
        const double p = a->q_count > 0 ? cs_percentile_cont(ws->lat + a->lat_begin,
                                                             (size_t)a->q_count, DAGG_PCT)
                                        : 0;
        rc = emit_row(ws, a, ws->keys[g], p, time_key, out, err);
    }
    return rc;
}

/* ------------------------------------------------------------------------------ fast plan */

/* A day starts: every key of the day lies in [lo, hi], hi - lo < DAGG_DENSE_SPAN. When they
 * span at most DAGG_MAX_SLOTS values the slot of a key is key - lo (no lookup, slots already
 * in key order; slots without rows are skipped when emitting); else keys take slots as they
 * are first seen, through the lookup array. */
static void fast_begin(struct cs_dagg_ws *ws, int64_t lo, int64_t hi)
{
    ws->lo = lo;
    ws->nslots = 0;
    ws->ident = (uint64_t)hi - (uint64_t)lo < DAGG_MAX_SLOTS;
    if (ws->ident) {
        ws->nslots = (uint32_t)((uint64_t)hi - (uint64_t)lo + 1);
        for (uint32_t s = 0; s < ws->nslots; s++)
            ws->slot_key[s] = (int64_t)((uint64_t)lo + s);
    }
}

/* The day ends: the lookup array back to SLOT_NONE (only the entries used). */
static void fast_end(struct cs_dagg_ws *ws)
{
    for (uint32_t s = 0; !ws->ident && s < ws->nslots; s++)
        ws->lut[(uint64_t)ws->slot_key[s] - (uint64_t)ws->lo] = SLOT_NONE;
    for (unsigned l = 0; l < QLANES; l++) {
        memset(ws->qhist[l], 0, ws->nslots * QCODES * sizeof(ws->qhist[l][0]));
        memset(ws->ahist[l], 0, ws->nslots * 2 * sizeof(ws->ahist[l][0]));
        memset(ws->thist[l], 0, ws->nslots * 2 * sizeof(ws->thist[l][0]));
        ws->ahist[l][SLOT_NULL * 2] = ws->ahist[l][SLOT_NULL * 2 + 1] = 0;
        ws->thist[l][SLOT_NULL * 2] = ws->thist[l][SLOT_NULL * 2 + 1] = 0;
        ws->ahist[l][SLOT_NULL_BITS * 2] = ws->ahist[l][SLOT_NULL_BITS * 2 + 1] = 0;
        ws->thist[l][SLOT_NULL_BITS * 2] = ws->thist[l][SLOT_NULL_BITS * 2 + 1] = 0;
    }
    ws->nslots = 0;
}

static uint8_t new_slot(struct cs_dagg_ws *ws, int64_t key, uint64_t off)
{
    if (ws->nslots == DAGG_MAX_SLOTS) return SLOT_NONE;
    const uint8_t s = (uint8_t)ws->nslots++;
    ws->slot_key[s] = key;
    ws->lut[off] = s;
    return s;
}

/* out[i] = slot of keys[i] (SLOT_NULL when nulls[i]; nulls may be NULL); the keys of non-NULL
 * rows must be in the day's span. false when the day has more than DAGG_MAX_SLOTS keys. */
static bool
map_slots(struct cs_dagg_ws *ws, const int64_t *keys, const uint8_t *nulls, size_t n, uint8_t *out)
{
    const uint8_t *lut = ws->lut;
    const uint64_t lo = (uint64_t)ws->lo;
    if (ws->ident) {
        for (size_t i = 0; i < n; i++)
            out[i] = (uint8_t)((uint64_t)keys[i] - lo);
        for (size_t i = 0; nulls != NULL && i < n; i++)
            out[i] = nulls[i] ? (uint8_t)SLOT_NULL : out[i];
        return true;
    }
    if (nulls == NULL) {
        for (size_t i = 0; i < n; i++) {
            const uint64_t off = (uint64_t)keys[i] - lo;
            uint8_t s = lut[off];
            if (__builtin_expect(s == SLOT_NONE, 0)) {
                s = new_slot(ws, keys[i], off);
                if (s == SLOT_NONE) return false;
            }
            out[i] = s;
        }
        return true;
    }
    for (size_t i = 0; i < n; i++) {
        const uint64_t off = nulls[i] ? 0 : (uint64_t)keys[i] - lo;
        uint8_t s = lut[off];
        if (nulls[i]) {
            s = SLOT_NULL;
        } else if (__builtin_expect(s == SLOT_NONE, 0)) {
            s = new_slot(ws, keys[i], off);
            if (s == SLOT_NONE) return false;
        }
        out[i] = s;
    }
    return true;
}

/* Query rows: qhist[lane][slot, approved = true, human_edited, error_occurred]++. appr_null
 * may be NULL; slot[0] is a row whose index is a multiple of QLANES. */
static void count_queries(struct cs_dagg_ws *ws,
                          const uint8_t *slot,
                          const uint8_t *appr,
                          const uint8_t *appr_null,
                          const uint8_t *edit,
                          const uint8_t *error,
                          size_t n)
{
    uint16_t code[CS_VECTOR_SIZE];
    for (size_t from = 0; from < n; from += CS_VECTOR_SIZE) {
        const size_t m = n - from < CS_VECTOR_SIZE ? n - from : CS_VECTOR_SIZE;
        const uint8_t *sl = slot + from, *ap = appr + from, *ed = edit + from, *er = error + from;
        if (appr_null == NULL) {
            for (size_t i = 0; i < m; i++)
                code[i] = (uint16_t)(sl[i] * QCODES +
                                     (unsigned)((ap[i] & 1) << 2 | (ed[i] & 1) << 1 | (er[i] & 1)));
        } else {
            const uint8_t *an = appr_null + from;
            for (size_t i = 0; i < m; i++)
                code[i] = (uint16_t)(sl[i] * QCODES + (unsigned)((ap[i] & ~an[i] & 1) << 2 |
                                                                 (ed[i] & 1) << 1 | (er[i] & 1)));
        }
        for (size_t i = 0; i < m; i++)
            ws->qhist[i % QLANES][code[i]]++;
    }
}

/* Approval or training rows: hist[lane][slot * 2 + hit]++, hit = the flag equals want and is not
 * NULL (flag_null may be NULL). SLOT_NULL rows land in the unused last slot. */
static void count_flag(uint32_t (*hist)[(DAGG_MAX_SLOTS + 1) * 2],
                       const uint8_t *slot,
                       const uint8_t *flag,
                       const uint8_t *flag_null,
                       uint8_t want,
                       size_t n)
{
    const unsigned flip = want ? 0 : 1;
    size_t i = 0;
    /* four rows a step, each lane a constant (the compiler keeps no lane arithmetic) */
#define HIT(j) ((flag[j] ^ flip) & (flag_null != NULL ? ~(unsigned)flag_null[j] : 1u) & 1u)
    for (; i + QLANES <= n; i += QLANES) {
        hist[0][slot[i] * 2u + HIT(i)]++;
        hist[1][slot[i + 1] * 2u + HIT(i + 1)]++;
        hist[2][slot[i + 2] * 2u + HIT(i + 2)]++;
        hist[3][slot[i + 3] * 2u + HIT(i + 3)]++;
    }
    for (; i < n; i++)
        hist[i % QLANES][slot[i] * 2u + HIT(i)]++;
#undef HIT
}

/* p95 without moving every latency. A sample of the day's rows (every LAT_SAMPLE_STEP-th)
 * gives each slot a threshold safely below its p95: the sample value LAT_SAMPLE_SIGMAS
 * standard deviations (binomial, of the count below) under the sample's p95 rank. One pass
 * then sums each slot's latencies and copies out only those at or above the slot's threshold
 * (~10 %), and selection runs on them. The result never depends on the sample: when more than
 * `first` values of a slot lie below its threshold (a sample that misled, e.g. rows ordered to
 * fool it), that slot's latencies are gathered whole and selected there. Slots with fewer than
 * LAT_KEEP_ALL_BELOW rows, or fewer than LAT_SAMPLE_MIN sampled rows, take every latency
 * (threshold INT64_MIN). */
#define LAT_SAMPLE_STEP   2u
#define LAT_SAMPLE_MIN    32u
#define LAT_SAMPLE_SIGMAS 4.0

/* Slots with fewer rows keep every latency: a sample would hold fewer than LAT_SAMPLE_MIN. */
#define LAT_KEEP_ALL_BELOW (LAT_SAMPLE_MIN * LAT_SAMPLE_STEP)

/* Thresholds from the sample, for the slots with need[s] (others untouched). */
static void lat_thresholds(struct cs_dagg_ws *ws, const int64_t *lat, size_t nq, const bool *need)
{
    const uint32_t ns = ws->nslots;
    const uint8_t *slot = ws->slot;
    size_t cnt[DAGG_MAX_SLOTS] = {0}, at[DAGG_MAX_SLOTS];
    for (size_t i = 0; i < nq; i += LAT_SAMPLE_STEP)
        cnt[slot[i]]++;
    size_t off = 0;
    for (uint32_t s = 0; s < ns; s++) {
        at[s] = off;
        off += need[s] ? cnt[s] : 0;
    }
    int64_t *smp = ws->smp;
    for (size_t i = 0; i < nq; i += LAT_SAMPLE_STEP) {
        if (need[slot[i]]) smp[at[slot[i]]++] = lat[i];
    }
    for (uint32_t s = 0; s < ns; s++) {
        if (!need[s]) continue;
        const size_t m = cnt[s];
        ws->thr[s] = INT64_MIN;
        if (m < LAT_SAMPLE_MIN) continue;
        const double sd = sqrt((double)m * DAGG_PCT * (1 - DAGG_PCT));
        const double r = floor(DAGG_PCT * (double)m - LAT_SAMPLE_SIGMAS * sd) - 1;
        if (r < 0) continue;
        int64_t *v = smp + (at[s] - m);
        cs_select_nth(v, m, (size_t)r);
        ws->thr[s] = v[(size_t)r];
    }
}

/* The day's thresholds: a slot with few rows keeps everything; one whose agent had a good
 * threshold on the worker's previous day reuses it (a worker takes days in increasing order,
 * and an agent's latencies change little from one day to the next); the others are sampled.
 * The result never depends on this: a threshold too high is caught and redone (lat_p95), one
 * too low only keeps more values. */
static void day_thresholds(struct cs_dagg_ws *ws, const int64_t *lat, size_t nq, const size_t *qn)
{
    const uint32_t ns = ws->nslots;
    bool need[DAGG_MAX_SLOTS], any = false;
    for (uint32_t s = 0; s < ns; s++) {
        need[s] = false;
        ws->thr[s] = INT64_MIN;
        if (qn[s] < LAT_KEEP_ALL_BELOW) continue;
        need[s] = true;
        for (uint32_t k = 0; k < ws->ncarry; k++) {
            if (ws->carry_key[k] == ws->slot_key[s]) {
                ws->thr[s] = ws->carry_thr[k];
                need[s] = false;
                break;
            }
        }
        any |= need[s];
    }
    if (any) lat_thresholds(ws, lat, nq, need);
    for (uint32_t s = 0; s < ns; s++)
        ws->sampled += need[s];
}

size_t cs_dagg_ws_sampled(const struct cs_dagg_ws *ws)
{
    return ws->sampled;
}

/* Per slot: the latency sum, and the latencies >= its threshold copied to its run in tmp
 * (run s starts at run[s]; c[s] gets its length). Two passes, both branch-free: the first
 * sums every row into its (lane, slot) and appends the row's index to a candidate list, the
 * list's end advancing only when the value reaches its slot's threshold (a test that would
 * mispredict for ~1 row in 10 as a branch; the end stays in a register, where a cursor per
 * slot would be a load and a store every row); the second copies the candidates (~11 %)
 * into their slots' runs. */
#if defined(__x86_64__) && defined(__GNUC__)
#    define DAGG_AVX2 1
#    include <immintrin.h>

/* compress8[m]: the positions of m's set bits, in order, then zeros */
static uint8_t compress8[256][8];
static bool tails_avx2_ok;
static pthread_once_t tails_once = PTHREAD_ONCE_INIT;
static _Atomic int tails_avx2_off;

static void tails_init(void)
{
    __builtin_cpu_init();
    tails_avx2_ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
    for (unsigned m = 0; m < 256; m++) {
        unsigned n = 0;
        for (unsigned b = 0; b < 8; b++) {
            if (m & (1u << b)) compress8[m][n++] = (uint8_t)b;
        }
    }
}

/* lat_tails' first pass eight rows at a time (rows [0, nq & ~7)): the eight thresholds
 * gathered by slot and compared with the latencies in two 4-lane compares, the qualifying rows'
 * indices packed to the candidate list's end by a permutation from compress8 (cand needs room
 * for 8 more entries); the sums stay scalar. Returns the candidates' count. */
__attribute__((target("avx2,popcnt"))) static size_t
tails_pass1_avx2(const uint8_t *slot,
                 const int64_t *lat,
                 size_t nq,
                 const int64_t *thr,
                 int64_t (*sum)[DAGG_MAX_SLOTS],
                 uint32_t *cand)
{
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    size_t k = 0;
    for (size_t i = 0; i + 8 <= nq; i += 8) {
        const __m128i s8 = _mm_loadl_epi64((const __m128i *)(const void *)(slot + i));
        const __m256i t0 = _mm256_i32gather_epi64((const long long *)thr, _mm_cvtepu8_epi32(s8), 8);
        const __m256i t1 = _mm256_i32gather_epi64((const long long *)thr,
                                                  _mm_cvtepu8_epi32(_mm_srli_si128(s8, 4)), 8);
        const __m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)(lat + i));
        const __m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(lat + i + 4));
        const unsigned lt =
            (unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(t0, v0))) |
            (unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(t1, v1))) << 4;
        const unsigned ge = ~lt & 0xFFu;
        const __m256i perm =
            _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)compress8[ge]));
        const __m256i idx = _mm256_add_epi32(_mm256_set1_epi32((int)i), iota);
        _mm256_storeu_si256((__m256i *)(void *)(cand + k), _mm256_permutevar8x32_epi32(idx, perm));
        k += (size_t)__builtin_popcount(ge);
#    pragma GCC unroll 8
        for (unsigned l = 0; l < 8; l++)
            sum[l % QLANES][slot[i + l]] += lat[i + l];
    }
    return k;
}

bool cs_dagg_simd(bool on)
{
    (void)pthread_once(&tails_once, tails_init);
    const bool was = tails_avx2_ok && !tails_avx2_off;
    tails_avx2_off = !on;
    return was;
}
#else
bool cs_dagg_simd(bool on)
{
    (void)on;
    return false;
}
#endif

static void
lat_tails(struct cs_dagg_ws *ws, const int64_t *lat, size_t nq, const size_t *run, size_t *c)
{
    const uint8_t *slot = ws->slot;
    const int64_t *thr = ws->thr;
    uint32_t *cand = ws->cand;
    int64_t(*sum)[DAGG_MAX_SLOTS] = ws->lat_sum;
    memset(sum, 0, sizeof(ws->lat_sum));
    size_t k = 0, i = 0;
#ifdef DAGG_AVX2
    (void)pthread_once(&tails_once, tails_init);
    if (tails_avx2_ok && !tails_avx2_off) {
        k = tails_pass1_avx2(slot, lat, nq, thr, sum, cand);
        i = nq & ~(size_t)7;
    }
#endif
    for (; i + QLANES <= nq; i += QLANES) {
        for (unsigned l = 0; l < QLANES; l++) {
            const unsigned s = slot[i + l];
            const int64_t v = lat[i + l];
            sum[l][s] += v;
            cand[k] = (uint32_t)(i + l);
            k += (size_t)(v >= thr[s]);
        }
    }
    for (; i < nq; i++) {
        const unsigned s = slot[i];
        sum[i % QLANES][s] += lat[i];
        cand[k] = (uint32_t)i;
        k += (size_t)(lat[i] >= thr[s]);
    }
    size_t at[DAGG_MAX_SLOTS];
    memcpy(at, run, ws->nslots * sizeof(at[0]));
    int64_t *tmp = ws->tmp;
    for (size_t j = 0; j < k; j++) {
        const uint32_t r = cand[j];
        tmp[at[slot[r]]++] = lat[r];
    }
    for (uint32_t s = 0; s < ws->nslots; s++)
        c[s] = at[s] - run[s];
}

/* The p95 of slot s from its run v[0..c) (values >= its threshold, qn - c of them below). */
static double lat_p95(struct cs_dagg_ws *ws,
                      const int64_t *lat,
                      size_t nq,
                      uint8_t s,
                      size_t qn,
                      int64_t *v,
                      size_t c,
                      bool *misled)
{
    const struct cs_pct_ranks r = cs_percentile_ranks(qn, DAGG_PCT);
    size_t below = qn - c;
    *misled = below > r.first;
    if (*misled) { /* the threshold was too high: every latency of the slot */
        const uint8_t *slot = ws->slot;
        c = 0;
        for (size_t i = 0; i < nq; i++) {
            if (slot[i] == s) v[c++] = lat[i];
        }
        below = 0;
    }
    int64_t a = 0, b = 0;
    cs_order_stats(v, c, r.first - below, r.second != r.first, NULL, &a, &b);
    return cs_percentile_interp(&r, a, b);
}

static int cmp_slot_key(const struct cs_dagg_ws *ws, uint8_t a, uint8_t b)
{
    return (ws->slot_key[a] > ws->slot_key[b]) - (ws->slot_key[a] < ws->slot_key[b]);
}

/* The day's rows are counted (qhist, ahist, thist) and every query row has its slot, its
 * latency in lat: latency sums and p95 per slot (lat_thresholds, lat_tails, lat_p95); one
 * output row per slot, in key order. Ends the day (fast_end). */
static int fast_finish(struct cs_dagg_ws *ws,
                       const int64_t *lat,
                       size_t nq,
                       int32_t time_key,
                       struct cs_batch *out,
                       struct cs_error *err)
{
    const uint32_t ns = ws->nslots;
    size_t qn[DAGG_MAX_SLOTS], run[DAGG_MAX_SLOTS], c[DAGG_MAX_SLOTS];
    size_t off = 0;
    for (uint32_t s = 0; s < ns; s++) {
        qn[s] = 0;
        for (unsigned l = 0; l < QLANES; l++) {
            for (unsigned k = 0; k < QCODES; k++)
                qn[s] += ws->qhist[l][s * QCODES + k];
        }
        run[s] = off; /* room for all its latencies: lat_p95 may need them */
        off += qn[s];
    }
    if (nq > 0) {
        day_thresholds(ws, lat, nq, qn);
        lat_tails(ws, lat, nq, run, c);
    } else {
        memset(ws->lat_sum, 0, sizeof(ws->lat_sum));
    }
    uint8_t order[DAGG_MAX_SLOTS];
    for (uint32_t s = 0; s < ns; s++) {
        uint32_t m = s;
        for (; m > 0 && cmp_slot_key(ws, order[m - 1], (uint8_t)s) > 0; m--)
            order[m] = order[m - 1];
        order[m] = (uint8_t)s;
    }
    int rc = CS_OK;
    int64_t carry_key[DAGG_MAX_SLOTS], carry_thr[DAGG_MAX_SLOTS];
    uint32_t ncarry = 0;
    for (uint32_t k = 0; k < ns && rc == CS_OK; k++) {
        const uint8_t s = order[k];
        struct dagg_acc a = {0};
        for (unsigned l = 0; l < QLANES; l++) {
            const uint32_t *q = &ws->qhist[l][s * QCODES];
            for (unsigned code = 0; code < QCODES; code++) {
                a.approved += (code & 4) ? q[code] : 0;
                a.edited += (code & 2) ? q[code] : 0;
                a.errors += (code & 1) ? q[code] : 0;
            }
            a.latency_sum += ws->lat_sum[l][s];
        }
        a.q_count = (int64_t)qn[s];
        for (unsigned l = 0; l < QLANES; l++) {
            a.a_count += (int64_t)ws->ahist[l][s * 2] + ws->ahist[l][s * 2 + 1];
            a.sla_met += ws->ahist[l][s * 2 + 1];
            a.t_count += (int64_t)ws->thist[l][s * 2] + ws->thist[l][s * 2 + 1];
            a.unsafe += ws->thist[l][s * 2 + 1];
        }
        if (a.q_count == 0 && a.a_count == 0 && a.t_count == 0) continue; /* a key not used */
        bool misled = false;
        const double p95 =
            qn[s] > 0 ? lat_p95(ws, lat, nq, s, qn[s], ws->tmp + run[s], c[s], &misled) : 0;
        /* carried to the next day when it held and kept at most a quarter of the values */
        if (qn[s] >= LAT_KEEP_ALL_BELOW && !misled && c[s] <= qn[s] / 4) {
            carry_key[ncarry] = ws->slot_key[s];
            carry_thr[ncarry++] = ws->thr[s];
        }
        rc = emit_row(ws, &a, ws->slot_key[s], p95, time_key, out, err);
    }
    memcpy(ws->carry_key, carry_key, ncarry * sizeof(carry_key[0]));
    memcpy(ws->carry_thr, carry_thr, ncarry * sizeof(carry_thr[0]));
    ws->ncarry = ncarry;
    fast_end(ws);
    return rc;
}

static bool fast_buffers(struct cs_dagg_ws *ws, size_t nq)
{
    return grow((void **)&ws->slot, &ws->slot_cap, nq, 1) &&
           grow((void **)&ws->lat, &ws->lat_cap, nq, sizeof(int64_t)) &&
           grow((void **)&ws->tmp, &ws->tmp_cap, nq, sizeof(int64_t)) &&
           grow((void **)&ws->cand, &ws->cand_cap, nq + 8, sizeof(uint32_t)) &&
           grow((void **)&ws->smp, &ws->smp_cap, nq / LAT_SAMPLE_STEP + 1, sizeof(int64_t));
}

/* The fast plan over checked batches; *done false (nothing emitted) when it does not apply. */
static int fast_batches(struct cs_dagg_ws *ws,
                        int32_t time_key,
                        const struct cs_batch *const in[3],
                        struct cs_batch *out,
                        bool *done,
                        struct cs_error *err)
{
    static const int agent_col[3] = {CS_FQ_AGENT, CS_FA_AGENT, CS_FT_AGENT};
    static const int flag_col[3] = {0, CS_FA_SLA_MET, CS_FT_SAFE};
    *done = false;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    bool any = false;
    for (int t = 0; t < 3; t++) {
        if (batch_rows(in[t]) == 0) continue;
        const struct cs_col *c = &in[t]->cols[agent_col[t]];
        if (c->len > UINT32_MAX) return CS_OK;
        for (size_t i = 0; i < c->len; i++) {
            if (c->nulls != NULL && c->nulls[i]) continue;
            lo = c->i64[i] < lo ? c->i64[i] : lo;
            hi = c->i64[i] > hi ? c->i64[i] : hi;
            any = true;
        }
    }
    if (!any) {
        *done = true;
        return CS_OK;
    }
    if ((uint64_t)hi - (uint64_t)lo >= DAGG_DENSE_SPAN) return CS_OK;
    const size_t nq = batch_rows(in[0]);
    if (!fast_buffers(ws, nq))
        return cs_error_set(err, CS_ENOMEM, "out of memory for daily aggregates");
    fast_begin(ws, lo, hi);
    if (nq > 0) {
        const struct cs_col *c = in[0]->cols;
        if (!map_slots(ws, c[CS_FQ_AGENT].i64, NULL, nq, ws->slot)) goto too_many;
        count_queries(ws, ws->slot, c[CS_FQ_APPROVED].b8, c[CS_FQ_APPROVED].nulls,
                      c[CS_FQ_HUMAN_EDITED].b8, c[CS_FQ_ERROR].b8, nq);
    }
    for (int t = 1; t < 3; t++) {
        const size_t rows = batch_rows(in[t]);
        const struct cs_col *agent = rows ? &in[t]->cols[agent_col[t]] : NULL;
        const struct cs_col *flag = rows ? &in[t]->cols[flag_col[t]] : NULL;
        for (size_t from = 0; from < rows; from += CS_VECTOR_SIZE) {
            const size_t n = rows - from < CS_VECTOR_SIZE ? rows - from : CS_VECTOR_SIZE;
            if (!map_slots(ws, agent->i64 + from, agent->nulls ? agent->nulls + from : NULL, n,
                           ws->vslot))
                goto too_many;
            count_flag(t == 1 ? ws->ahist : ws->thist, ws->vslot, flag->b8 + from,
                       flag->nulls ? flag->nulls + from : NULL, t == 1 ? 1 : 0, n);
        }
    }
    *done = true;
    return fast_finish(ws, nq > 0 ? in[0]->cols[CS_FQ_LATENCY].i64 : NULL, nq, time_key, out, err);
too_many:
    fast_end(ws);
    return CS_OK;
}

int cs_dagg_day(struct cs_dagg_ws *ws,
                int32_t time_key,
                const struct cs_batch *queries,
                const struct cs_batch *approvals,
                const struct cs_batch *training,
                struct cs_batch *out,
                struct cs_error *err)
{
    int rc = check_batch(queries, CS_T_FACT_AGENT_QUERY, q_cols, 5, 4, err);
    if (rc == CS_OK) rc = check_batch(approvals, CS_T_FACT_APPROVAL, a_cols, 2, 0, err);
    if (rc == CS_OK) rc = check_batch(training, CS_T_FACT_TRAINING, t_cols, 2, 0, err);
    if (rc != CS_OK) return rc;
    const struct cs_batch *const in[3] = {queries, approvals, training};
    bool done = false;
    rc = fast_batches(ws, time_key, in, out, &done, err);
    if (rc != CS_OK || done) return rc;
    return dagg_day_generic(ws, time_key, queries, approvals, training, out, err);
}

int cs_dagg_day_generic(struct cs_dagg_ws *ws,
                        int32_t time_key,
                        const struct cs_batch *queries,
                        const struct cs_batch *approvals,
                        const struct cs_batch *training,
                        struct cs_batch *out,
                        struct cs_error *err)
{
    int rc = check_batch(queries, CS_T_FACT_AGENT_QUERY, q_cols, 5, 4, err);
    if (rc == CS_OK) rc = check_batch(approvals, CS_T_FACT_APPROVAL, a_cols, 2, 0, err);
    if (rc == CS_OK) rc = check_batch(training, CS_T_FACT_TRAINING, t_cols, 2, 0, err);
    if (rc != CS_OK) return rc;
    return dagg_day_generic(ws, time_key, queries, approvals, training, out, err);
}

/* --------------------------------------------------------------- the fast plan from views */

static const int v_table[V_COUNT] = {
    CS_T_FACT_AGENT_QUERY, CS_T_FACT_AGENT_QUERY, CS_T_FACT_AGENT_QUERY,
    CS_T_FACT_AGENT_QUERY, CS_T_FACT_AGENT_QUERY, CS_T_FACT_APPROVAL,
    CS_T_FACT_APPROVAL,    CS_T_FACT_TRAINING,    CS_T_FACT_TRAINING};
static const int v_col[V_COUNT] = {CS_FQ_AGENT,        CS_FQ_LATENCY, CS_FQ_APPROVED,
                                   CS_FQ_HUMAN_EDITED, CS_FQ_ERROR,   CS_FA_AGENT,
                                   CS_FA_SLA_MET,      CS_FT_AGENT,   CS_FT_SAFE};
static const uint8_t v_kind[V_COUNT] = {CS_K_I64, CS_K_I64,  CS_K_BOOL, CS_K_BOOL, CS_K_BOOL,
                                        CS_K_I64, CS_K_BOOL, CS_K_I64,  CS_K_BOOL};
static const int v_first[3] = {V_Q_AGENT, V_A_AGENT, V_T_AGENT};
static const int v_end[3] = {V_A_AGENT, V_T_AGENT, V_COUNT};

/* The keys an agent_key view can hold: [*lo, *hi] (nothing when every row is NULL); false
 * when they are not known to span less than DAGG_DENSE_SPAN values from the encoding. */
static bool view_key_range(const struct cs_seg_view *v, int64_t *lo, int64_t *hi)
{
    if (v->rows == v->null_count) return true;
    int64_t a = v->base, b = v->base;
    if (v->codec == CS_CODEC_I64_FOR) {
        if (v->width > 16 || v->base > INT64_MAX - (INT64_C(1) << 16)) return false;
        b = v->base + (int64_t)((UINT64_C(1) << v->width) - 1);
    } else if (v->codec != CS_CODEC_I64_CONST) {
        return false; /* DELTA: any keys */
    }
    *lo = a < *lo ? a : *lo;
    *hi = b > *hi ? b : *hi;
    return true;
}

/* Opens the views of the day's partitions and checks them; *ok false when the fast plan
 * does not apply to their encodings. */
static int open_views(struct cs_dagg_ws *ws,
                      struct cs_snap *snap,
                      const size_t part[3],
                      size_t rows[3],
                      int64_t *lo,
                      int64_t *hi,
                      bool *ok,
                      struct cs_error *err)
{
    *ok = true;
    for (int t = 0; t < 3; t++) {
        rows[t] = 0;
        if (part[t] == SIZE_MAX) continue;
        for (int j = v_first[t]; j < v_end[t]; j++) {
            struct cs_seg_view *v = &ws->view[j];
            const int rc = cs_snap_view_col(snap, v_table[j], part[t], v_col[j], v_kind[j], v, err);
            if (rc != CS_OK) return rc;
            const struct cs_table_def *td = cs_schema_table(v_table[j]);
            if (j != v_first[t] && v->rows != rows[t]) {
                return cs_error_set(err, CS_ECORRUPT,
                                    "%s: partition %zu: columns of different lengths", td->name,
                                    part[t]);
            }
            rows[t] = v->rows;
            /* queries: agent_key, latency_ms, human_edited, error_occurred are NOT NULL */
            const bool not_null = t == 0 && j != V_Q_APPROVED;
            if (not_null && v->null_count != 0) {
                return cs_error_set(err, CS_ECORRUPT, "%s.%s: NULL in a NOT NULL column", td->name,
                                    td->cols[v_col[j]].name);
            }
        }
        if (rows[t] > UINT32_MAX || !view_key_range(&ws->view[v_first[t]], lo, hi)) *ok = false;
    }
    if (*lo <= *hi && (uint64_t)*hi - (uint64_t)*lo >= DAGG_DENSE_SPAN) *ok = false;
    /* the query flags are read as packed bits (cs_qbool_bits): only codecs laid out that way */
    for (int j = V_Q_APPROVED; part[0] != SIZE_MAX && j <= V_Q_ERROR; j++) {
        if (!cs_qbool_is_bits(&ws->view[j])) *ok = false;
    }
    return CS_OK;
}

/* Query rows from packed flags: 8 rows a byte, their three flags spread into 8 codes at once
 * (no decode of the flags to bytes). */
static void count_queries_bits(struct cs_dagg_ws *ws,
                               const uint8_t *slot,
                               const uint8_t *appr,
                               const uint8_t *appr_null,
                               const uint8_t *edit,
                               const uint8_t *error,
                               size_t n)
{
    uint32_t(*h)[(DAGG_MAX_SLOTS + 1) * QCODES] = ws->qhist;
    for (size_t j = 0; j * 8 < n; j++) {
        const unsigned a = appr[j] & (appr_null != NULL ? (uint8_t)~appr_null[j] : 0xFFu);
        const uint64_t f = cs_spread8[a] << 2 | cs_spread8[edit[j]] << 1 | cs_spread8[error[j]];
        const size_t m = n - j * 8 < 8 ? n - j * 8 : 8;
        const uint8_t *sl = slot + j * 8;
        if (m == 8 && ws->nslots < 32) {
            /* slot * 8 + code of eight rows at once, a byte each: slot < 32 keeps slot << 3
             * within its byte */
            const uint64_t idx = cs_load_u64le(sl) << 3 | f;
#pragma GCC unroll 8
            for (unsigned k = 0; k < 8; k++)
                h[k % QLANES][(idx >> (8 * k)) & 0xFFu]++;
            continue;
        }
        if (m == 8) { /* unrolled: constant lanes and shifts */
#pragma GCC unroll 8
            for (unsigned k = 0; k < 8; k++)
                h[k % QLANES][sl[k] * QCODES + ((f >> (8 * k)) & 7u)]++;
            continue;
        }
        for (size_t k = 0; k < m; k++)
            h[k % QLANES][sl[k] * QCODES + ((f >> (8 * k)) & 7u)]++;
    }
}

/* The slots of rows [off, off + n) of an agent_key view (SLOT_NULL for NULL); a FOR code of
 * at most 8 bits (or a constant) goes straight to the slot when slots are key - lo. */
static bool
view_slots(struct cs_dagg_ws *ws, const struct cs_seg_view *v, size_t off, size_t n, uint8_t *out)
{
    const bool nulls = cs_seg_view_nulls(v, off, n, ws->vb[0]);
    if (ws->ident &&
        ((v->codec == CS_CODEC_I64_FOR && v->width <= 8) || v->codec == CS_CODEC_I64_CONST)) {
        /* the view's keys lie in [base, base + 2^width) within [lo, lo + nslots) */
        const uint8_t add = (uint8_t)((uint64_t)v->base - (uint64_t)ws->lo);
        if (v->codec == CS_CODEC_I64_FOR) {
            cs_bitpack_unpack_u8(v->packed + off / 8 * v->width, n, v->width, add, out);
        } else {
            memset(out, add, n);
        }
        for (size_t i = 0; nulls && i < n; i++)
            out[i] = ws->vb[0][i] ? (uint8_t)SLOT_NULL : out[i];
        return true;
    }
    cs_seg_view_i64(v, off, n, ws->vkey);
    return map_slots(ws, ws->vkey, nulls ? ws->vb[0] : NULL, n, out);
}

/* Pass 1 over the query view: slots kept for pass 2, flags counted. */
static bool views_queries(struct cs_dagg_ws *ws, size_t rows)
{
    const struct cs_seg_view *v = ws->view;
    for (size_t off = 0; off < rows; off += CS_VECTOR_SIZE) {
        const size_t n = rows - off < CS_VECTOR_SIZE ? rows - off : CS_VECTOR_SIZE;
        if (!view_slots(ws, &v[V_Q_AGENT], off, n, ws->slot + off)) return false;
        cs_seg_view_i64(&v[V_Q_LATENCY], off, n, ws->lat + off);
        count_queries_bits(ws, ws->slot + off,
                           cs_qbool_bits(&v[V_Q_APPROVED], false, off, n, ws->vb[0]),
                           cs_qbool_bits(&v[V_Q_APPROVED], true, off, n, ws->vb[1]),
                           cs_qbool_bits(&v[V_Q_EDITED], false, off, n, ws->vb[2]),
                           cs_qbool_bits(&v[V_Q_ERROR], false, off, n, ws->vb[3]), n);
    }
    return true;
}

/* Approval or training rows from packed flag bits, as count_flag: eight rows' slot * 2 + hit in
 * one word (slot < 128 keeps slot << 1 within its byte: NULL agents come as SLOT_NULL_BITS). */
static void count_flag_bits(uint32_t (*hist)[(DAGG_MAX_SLOTS + 1) * 2],
                            const uint8_t *slot,
                            const uint8_t *flag,
                            const uint8_t *flag_null,
                            uint8_t want,
                            size_t n)
{
    const unsigned flip = want ? 0u : 0xFFu;
    for (size_t j = 0; j * 8 < n; j++) {
        const unsigned hit =
            (flag[j] ^ flip) & (flag_null != NULL ? (uint8_t)~flag_null[j] : 0xFFu) & 0xFFu;
        const uint64_t f = cs_spread8[hit];
        const uint8_t *sl = slot + j * 8;
        if (n - j * 8 >= 8) {
            const uint64_t idx = cs_load_u64le(sl) << 1 | f;
#pragma GCC unroll 8
            for (unsigned k = 0; k < 8; k++)
                hist[k % QLANES][(idx >> (8 * k)) & 0xFFu]++;
            continue;
        }
        for (size_t k = 0; k < n - j * 8; k++)
            hist[k % QLANES][sl[k] * 2u + ((f >> (8 * k)) & 1u)]++;
    }
}

/* Approvals (t 1) or training (t 2). */
static bool views_flagged(struct cs_dagg_ws *ws, int t, size_t rows)
{
    const struct cs_seg_view *agent = &ws->view[v_first[t]], *flag = agent + 1;
    uint32_t(*hist)[(DAGG_MAX_SLOTS + 1) * 2] = t == 1 ? ws->ahist : ws->thist;
    const uint8_t want = t == 1 ? 1 : 0;
    const bool bits = cs_qbool_is_bits(flag); /* packed flags when laid out that way */
    for (size_t off = 0; off < rows; off += CS_VECTOR_SIZE) {
        const size_t n = rows - off < CS_VECTOR_SIZE ? rows - off : CS_VECTOR_SIZE;
        if (!view_slots(ws, agent, off, n, ws->vslot)) return false;
        if (bits && ws->nslots < SLOT_NULL_BITS) {
            if (agent->null_count != 0) { /* NULL agents to a slot below 128 (never emitted) */
                for (size_t i = 0; i < n; i++)
                    ws->vslot[i] = ws->vslot[i] == SLOT_NULL ? SLOT_NULL_BITS : ws->vslot[i];
            }
            count_flag_bits(hist, ws->vslot, cs_qbool_bits(flag, false, off, n, ws->vb[1]),
                            cs_qbool_bits(flag, true, off, n, ws->vb[2]), want, n);
            continue;
        }
        cs_seg_view_bool(flag, off, n, ws->vb[1]);
        const bool fn = cs_seg_view_nulls(flag, off, n, ws->vb[2]);
        count_flag(hist, ws->vslot, ws->vb[1], fn ? ws->vb[2] : NULL, want, n);
    }
    return true;
}

int cs_dagg_day_views(struct cs_dagg_ws *ws,
                      struct cs_snap *snap,
                      int32_t time_key,
                      const size_t part[3],
                      struct cs_batch *out,
                      bool *done,
                      struct cs_error *err)
{
    *done = false;
    size_t rows[3];
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    bool ok = false;
    int rc = open_views(ws, snap, part, rows, &lo, &hi, &ok, err);
    if (rc != CS_OK || !ok) return rc;
    *done = true;
    if (lo > hi) return CS_OK; /* no row with an agent */
    if (!fast_buffers(ws, rows[0]))
        return cs_error_set(err, CS_ENOMEM, "out of memory for daily aggregates");
    fast_begin(ws, lo, hi);
    if (!views_queries(ws, rows[0]) || !views_flagged(ws, 1, rows[1]) ||
        !views_flagged(ws, 2, rows[2])) {
        fast_end(ws);
        *done = false;
        return CS_OK;
    }
    return fast_finish(ws, ws->lat, rows[0], time_key, out, err);
}

int cs_daily_agg_compute(int32_t time_key,
                         const struct cs_batch *queries,
                         const struct cs_batch *approvals,
                         const struct cs_batch *training,
                         struct cs_batch *out,
                         struct cs_error *err)
{
    if (out == NULL || out->table != cs_schema_table(CS_T_AGG_DAILY)) {
        return cs_error_set(err, CS_EINVAL, "daily aggregates: out is not an %s batch",
                            "agg_agent_daily_performance");
    }
    struct cs_dagg_ws *ws = cs_dagg_ws_new();
    if (ws == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory for daily aggregates");
    const int rc = cs_dagg_day(ws, time_key, queries, approvals, training, out, err);
    cs_dagg_ws_free(ws);
    return rc;
}
