/*
 * The nightly job's facts (docs/contract.md): each source (agent_queries, agent_approvals,
 * agent_feedback) in increasing operational id; a row whose id is already stored (the hidden
 * source_id) or appeared earlier in the export with the same values is skipped; the others are
 * checked (agent version, dim_time row, resolved_at), their conversation and users maintained,
 * and built into a warehouse row with the next surrogate key. New rows go into the partition of
 * their own day (created_at's UTC date), merged after the stored rows (new keys are larger), and
 * the session refreshes the daily aggregates of each touched day once.
 *
 * Identity by operational id costs little: the source_id zone maps say which stored partitions
 * can hold an id of the export's range (usually the last night's and the few late days), and
 * only those partitions' source_id columns are read.
 */
#include <md5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/nightly.h"
#include "etl/value_parse.h"
#include "query/kernel.h"
#include "storage/base/pgtext.h"

#define US_PER_DAY INT64_C(86400000000)

static int oom(struct cs_night *n)
{
    return cs_error_set(&n->e, CS_ENOMEM, "out of memory");
}

struct fact_job {
    struct cs_night *n;
    struct cs_night_src *s;
    const struct cs_table_def *t; /* the warehouse table */
    struct cs_batch out;          /* new rows, keys ascending */
    int64_t next_key;
    struct cs_keyset stored; /* operational ids stored in partitions that may hold the export's */
    uint8_t (*hash)[16];     /* agent_queries: MD5 of each row's query (query_hash) */
};

/* ---- order and duplicates ---- */

/* sort_by_id() - s->order = the rows by increasing id, rows of one id in export order (an
 * LSD radix sort of id - min on 11-bit digits: stable, as many passes as the ids' span needs;
 * a night's ids span a few tens of thousands, so two passes over the rows instead of a
 * comparison sort). */
static int sort_by_id(struct cs_night *n, struct cs_night_src *s)
{
    const int64_t *id = s->rows.cols[0].i64;
    const size_t rows = s->rows.rows;
    bool sorted = true; /* exports usually come in id order: nothing to sort */
    int64_t lo = rows > 0 ? id[0] : 0, hi = lo;
    for (size_t r = 0; r < rows; r++) {
        if (r > 0 && id[r - 1] > id[r]) sorted = false;
        lo = id[r] < lo ? id[r] : lo;
        hi = id[r] > hi ? id[r] : hi;
    }
    for (size_t r = 0; r < rows; r++)
        s->order[r] = (uint32_t)r;
    if (sorted) return CS_OK;
    enum { BITS = 11, RADIX = 1 << BITS };
    const uint64_t span = (uint64_t)hi - (uint64_t)lo; /* ids are bigint: no overflow as uint64 */
    uint32_t *tmp = malloc((rows + 1) * sizeof(*tmp));
    size_t *count = malloc(RADIX * sizeof(*count));
    if (tmp == NULL || count == NULL) {
        free(tmp);
        free(count);
        return oom(n);
    }
    uint32_t *from = s->order, *to = tmp;
    for (unsigned shift = 0; shift < 64 && (span >> shift) != 0; shift += BITS) {
        memset(count, 0, RADIX * sizeof(*count));
        for (size_t i = 0; i < rows; i++)
            count[(((uint64_t)id[from[i]] - (uint64_t)lo) >> shift) & (RADIX - 1)]++;
        size_t sum = 0;
        for (size_t d = 0; d < RADIX; d++) {
            const size_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < rows; i++)
            to[count[(((uint64_t)id[from[i]] - (uint64_t)lo) >> shift) & (RADIX - 1)]++] = from[i];
        uint32_t *t = from;
        from = to;
        to = t;
    }
    if (from != s->order) memcpy(s->order, from, rows * sizeof(*from));
    free(tmp);
    free(count);
    return CS_OK;
}

static bool rows_equal(const struct cs_batch *b, size_t x, size_t y)
{
    for (int c = 0; c < b->table->ncols; c++) {
        if (!cs_col_equal_at(&b->cols[c], x, &b->cols[c], y)) return false;
    }
    return true;
}

static int reject(struct fact_job *j, size_t r, const char *column, const char *reason)
{
    j->s->state[r] = 2;
    j->s->counts.rejected++;
    return cs_parser_reject(j->s->parser, &j->s->rows, r, column, reason, &j->n->e);
}

/* ---- what the store holds ---- */

/* The largest surrogate key stored in table t, and the operational ids stored in partitions
 * whose source_id range meets [lo, hi]. */
static int scan_stored(struct fact_job *j, int64_t lo, int64_t hi)
{
    struct cs_snap *snap = j->n->sess->snap;
    const struct cs_table_def *t = j->t;
    const size_t nparts = cs_snap_part_count(snap, t->id);
    int64_t max_key = 0;
    struct cs_col ids;
    cs_col_init(&ids, CS_K_I64);
    int rc = CS_OK;
    for (size_t i = 0; i < nparts && rc == CS_OK; i++) {
        struct cs_part_ranges rg; /* from the manifest: no block header read */
        rc = cs_snap_part_ranges(snap, t->id, i, &rg, &j->n->e);
        if (rc == CS_OK && rg.key_min <= rg.key_max && rg.key_max > max_key) max_key = rg.key_max;
        if (rc != CS_OK || rg.id_min > rg.id_max || rg.id_max < lo || rg.id_min > hi) continue;
        rc = cs_snap_read_col(snap, t->id, i, t->src_col, &ids, &j->n->e);
        for (size_t r = 0; rc == CS_OK && r < ids.len; r++) {
            if (!cs_col_is_null(&ids, r) && cs_keyset_add(&j->stored, ids.i64[r]) < 0)
                rc = oom(j->n);
        }
    }
    cs_col_free(&ids);
    j->next_key = max_key + 1;
    return rc;
}

static bool keyset_has(const struct cs_keyset *s, int64_t k)
{
    if (s->count == 0) return false;
    if (s->sparse) return cs_hmap_get(&s->map, k) != NULL;
    if (k < s->base) return false;
    const uint64_t bit = (uint64_t)(k - s->base);
    return bit / 64 < s->nwords && (s->bits[bit / 64] >> (bit % 64)) & 1;
}

/* ---- one row ---- */

static int64_t time_key_of(int64_t ts)
{
    return cs_time_key_from_days(cs_floor_div(ts, US_PER_DAY));
}

/* Common checks: the dim_time row of created_at, the agent version. *ok false: rejected. */
static int resolve_common(struct fact_job *j,
                          size_t r,
                          int agent_col,
                          int created_col,
                          int64_t *tk,
                          int64_t *agent_key,
                          int64_t *agent_row,
                          bool *ok)
{
    const struct cs_batch *b = &j->s->rows;
    const int64_t ts = b->cols[created_col].i64[r];
    char reason[200];
    *ok = false;
    *agent_row = -1;
    *agent_key = 0; /* and stays so for a NULL agent (approvals, feedback: row -1) */
    *tk = time_key_of(ts);
    if (cs_hmap_get(&j->n->time_keys, *tk) == NULL) {
        snprintf(reason, sizeof(reason), "no dim_time row for %lld (the date of created_at)",
                 (long long)*tk);
        return reject(j, r, "created_at", reason);
    }
    if (!cs_col_is_null(&b->cols[agent_col], r)) {
        size_t len;
        const char *name = cs_col_str(&b->cols[agent_col], r, &len);
        if (!cs_night_agent_at(j->n, name, len, ts, agent_key, agent_row)) {
            snprintf(reason, sizeof(reason), "no dim_agent version of agent \"%.*s\"",
                     (int)(len > 80 ? 80 : len), name);
            return reject(j, r, "agent", reason);
        }
    }
    *ok = true;
    return CS_OK;
}

static bool push_opt_i64(struct cs_col *c, bool null, int64_t v)
{
    return null ? cs_col_push_null(c) : cs_col_push_i64(c, v);
}

static int
conv_key(struct fact_job *j, size_t r, int conv_col, int created_col, int counter, int64_t *key)
{
    const struct cs_batch *b = &j->s->rows;
    size_t len;
    const char *id = cs_col_str(&b->cols[conv_col], r, &len);
    return cs_night_conversation(j->n, id, len, b->cols[created_col].i64[r], counter, key);
}

static int
user_key(struct fact_job *j, size_t r, int col, const char *type, bool *null, int64_t *key)
{
    const struct cs_batch *b = &j->s->rows;
    *null = cs_col_is_null(&b->cols[col], r);
    if (*null) return CS_OK;
    size_t len;
    const char *id = cs_col_str(&b->cols[col], r, &len);
    return cs_night_user(j->n, id, len, type, key);
}

static int build_query(struct fact_job *j, size_t r)
{
    const struct cs_batch *b = &j->s->rows;
    int64_t tk, agent, arow, conv;
    bool ok;
    int rc = resolve_common(j, r, CS_OQ_AGENT, CS_OQ_CREATED_AT, &tk, &agent, &arow, &ok);
    if (rc != CS_OK || !ok) return rc;
    rc = conv_key(j, r, CS_OQ_CONV, CS_OQ_CREATED_AT, CS_CONV_TOTAL_QUERIES, &conv);
    if (rc != CS_OK) return rc;
    struct cs_col *o = j->out.cols;
    ok = cs_col_push_i64(&o[CS_FQ_KEY], j->next_key) && cs_col_push_i64(&o[CS_FQ_AGENT], agent) &&
         cs_col_push_i64(&o[CS_FQ_TIME], tk) && cs_col_push_i64(&o[CS_FQ_CONV], conv) &&
         cs_col_push_fix16(&o[CS_FQ_HASH], j->hash[r]) &&
         cs_col_push_from(&o[CS_FQ_RESULT_SIZE], &b->cols[CS_OQ_RESULT_SIZE], r) &&
         cs_col_push_from(&o[CS_FQ_LATENCY], &b->cols[CS_OQ_LATENCY], r) &&
         cs_col_push_from(&o[CS_FQ_APPROVED], &b->cols[CS_OQ_APPROVED], r) &&
         cs_col_push_from(&o[CS_FQ_HUMAN_EDITED], &b->cols[CS_OQ_HUMAN_EDITED], r) &&
         cs_col_push_from(&o[CS_FQ_ERROR], &b->cols[CS_OQ_ERROR], r) &&
         cs_col_push_from(&o[CS_FQ_CREATED_AT], &b->cols[CS_OQ_CREATED_AT], r) &&
         cs_col_push_from(&o[CS_FQ_SRC_ID], &b->cols[CS_OQ_ID], r);
    return ok ? CS_OK : oom(j->n);
}

static int build_approval(struct fact_job *j, size_t r)
{
    const struct cs_batch *b = &j->s->rows;
    const int64_t created = b->cols[CS_OP_CREATED_AT].i64[r];
    const bool resolved = !cs_col_is_null(&b->cols[CS_OP_RESOLVED_AT], r);
    int64_t seconds = 0;
    if (resolved) {
        const int64_t at = b->cols[CS_OP_RESOLVED_AT].i64[r];
        char reason[200], t1[40], t2[40];
        if (at < created) {
            cs_fmt_timestamptz(t1, at);
            cs_fmt_timestamptz(t2, created);
            snprintf(reason, sizeof(reason), "resolved_at %s is before created_at %s", t1, t2);
            return reject(j, r, "resolved_at", reason);
        }
        seconds = (at - created) / 1000000; /* whole seconds, the fraction dropped */
        if (seconds > INT32_MAX) {
            return reject(j, r, "resolved_at",
                          "resolution_time_seconds out of range for type integer");
        }
    }
    int64_t tk, agent = 0, arow, conv, user = 0;
    bool ok, user_null;
    int rc = resolve_common(j, r, CS_OP_AGENT, CS_OP_CREATED_AT, &tk, &agent, &arow, &ok);
    if (rc != CS_OK || !ok) return rc;
    rc = conv_key(j, r, CS_OP_CONV, CS_OP_CREATED_AT, CS_CONV_TOTAL_APPROVALS, &conv);
    if (rc == CS_OK) rc = user_key(j, r, CS_OP_APPROVED_BY, "approver", &user_null, &user);
    if (rc != CS_OK) return rc;
    /* sla_met: NULL when the resolution time or the agent version's target is NULL */
    const struct cs_col *sla = &j->n->agents.dim->rows.cols[CS_AGENT_SLA];
    const bool sla_null = !resolved || arow < 0 || cs_col_is_null(sla, (size_t)arow);
    const bool met = !sla_null && seconds <= sla->i64[arow];
    struct cs_col *o = j->out.cols;
    ok = cs_col_push_i64(&o[CS_FA_KEY], j->next_key) &&
         push_opt_i64(&o[CS_FA_AGENT], arow < 0, agent) && cs_col_push_i64(&o[CS_FA_TIME], tk) &&
         cs_col_push_i64(&o[CS_FA_CONV], conv) &&
         push_opt_i64(&o[CS_FA_APPROVED_BY], user_null, user) &&
         cs_col_push_from(&o[CS_FA_STATUS], &b->cols[CS_OP_STATUS], r) &&
         push_opt_i64(&o[CS_FA_RESOLUTION_S], !resolved, seconds) &&
         cs_col_push_from(&o[CS_FA_INTERRUPTIONS], &b->cols[CS_OP_INTERRUPTIONS], r) &&
         (sla_null ? cs_col_push_null(&o[CS_FA_SLA_MET])
                   : cs_col_push_bool(&o[CS_FA_SLA_MET], met)) &&
         cs_col_push_from(&o[CS_FA_CREATED_AT], &b->cols[CS_OP_CREATED_AT], r) &&
         cs_col_push_from(&o[CS_FA_RESOLVED_AT], &b->cols[CS_OP_RESOLVED_AT], r) &&
         cs_col_push_from(&o[CS_FA_SRC_ID], &b->cols[CS_OP_ID], r);
    return ok ? CS_OK : oom(j->n);
}

static int build_training(struct fact_job *j, size_t r)
{
    const struct cs_batch *b = &j->s->rows;
    int64_t tk, agent = 0, arow, conv, user = 0;
    bool ok, user_null;
    int rc = resolve_common(j, r, CS_OF_AGENT, CS_OF_CREATED_AT, &tk, &agent, &arow, &ok);
    if (rc != CS_OK || !ok) return rc;
    rc = conv_key(j, r, CS_OF_CONV, CS_OF_CREATED_AT, CS_CONV_TOTAL_FEEDBACK, &conv);
    if (rc == CS_OK) rc = user_key(j, r, CS_OF_ANNOTATOR, "annotator", &user_null, &user);
    if (rc != CS_OK) return rc;
    const struct cs_table_def *t = j->t;
    int64_t score[3];
    static const int op_scores[3] = {CS_OF_CLARITY, CS_OF_ACCURACY, CS_OF_TONE};
    for (int i = 0; i < 3; i++) {
        const struct cs_col *c = &b->cols[op_scores[i]];
        score[i] = cs_col_is_null(c, r) ? 0 : c->i64[r]; /* COALESCE(score, 0), as the DDL */
    }
    struct cs_col *o = j->out.cols;
    ok = cs_col_push_i64(&o[CS_FT_KEY], j->next_key) &&
         push_opt_i64(&o[CS_FT_AGENT], arow < 0, agent) && cs_col_push_i64(&o[CS_FT_TIME], tk) &&
         cs_col_push_i64(&o[CS_FT_CONV], conv) &&
         push_opt_i64(&o[CS_FT_ANNOTATOR], user_null, user) &&
         cs_col_push_from(&o[CS_FT_SAFE], &b->cols[CS_OF_SAFE], r) &&
         cs_col_push_from(&o[t->gen_args[0]], &b->cols[CS_OF_CLARITY], r) &&
         cs_col_push_from(&o[t->gen_args[1]], &b->cols[CS_OF_ACCURACY], r) &&
         cs_col_push_from(&o[t->gen_args[2]], &b->cols[CS_OF_TONE], r) &&
         cs_col_push_i64(&o[t->gen_col], cs_vp_overall_score(score[0], score[1], score[2])) &&
         cs_col_push_from(&o[CS_FT_LABELS], &b->cols[CS_OF_LABELS], r) &&
         cs_col_push_from(&o[CS_FT_CREATED_AT], &b->cols[CS_OF_CREATED_AT], r) &&
         cs_col_push_from(&o[CS_FT_ANNOTATED_AT], &b->cols[CS_OF_ANNOTATED_AT], r) &&
         cs_col_push_from(&o[CS_FT_SRC_ID], &b->cols[CS_OF_ID], r);
    return ok ? CS_OK : oom(j->n);
}

/* ---- query_hash: the MD5 of every query, on both cores ---- */

enum { HASH_CHUNK = 4096 }; /* rows of one work item */

static int hash_chunk(void *state, size_t item, struct cs_error *err)
{
    (void)err;
    const struct fact_job *j = state;
    const struct cs_col *q = &j->s->rows.cols[CS_OQ_QUERY];
    const size_t end = (item + 1) * HASH_CHUNK < q->len ? (item + 1) * HASH_CHUNK : q->len;
    for (size_t r = item * HASH_CHUNK; r < end; r++) {
        size_t len;
        const char *text = cs_col_str(q, r, &len);
        MD5_CTX md5;
        MD5Init(&md5);
        MD5Update(&md5, (const uint8_t *)text, len);
        MD5Final(j->hash[r], &md5);
    }
    return CS_OK;
}

/* hash_queries() - j->hash[r] for every row of the export (rows skipped or rejected later
 * cost a hash each: a handful a night). */
static int hash_queries(struct fact_job *j)
{
    const size_t rows = j->s->rows.rows;
    j->hash = malloc((rows + 1) * sizeof(*j->hash));
    if (j->hash == NULL) return oom(j->n);
    const size_t items = (rows + HASH_CHUNK - 1) / HASH_CHUNK;
    const size_t workers = cs_par_workers(items, rows, 0);
    void *states[CS_PAR_MAX_WORKERS];
    for (size_t w = 0; w < workers; w++)
        states[w] = j;
    return cs_par_run(items, workers, hash_chunk, states, &j->n->e);
}

/* ---- a source, start to end ---- */

static int build_all(struct fact_job *j)
{
    struct cs_night_src *s = j->s;
    const struct cs_batch *b = &s->rows;
    int rc = sort_by_id(j->n, s);
    if (rc == CS_OK && j->t->id == CS_T_FACT_AGENT_QUERY) rc = hash_queries(j);
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t r = 0; r < b->rows; r++) {
        lo = b->cols[0].i64[r] < lo ? b->cols[0].i64[r] : lo;
        hi = b->cols[0].i64[r] > hi ? b->cols[0].i64[r] : hi;
    }
    if (rc == CS_OK) rc = scan_stored(j, lo, hi);
    for (size_t i = 0; i < b->rows && rc == CS_OK; i++) {
        const uint32_t r = s->order[i];
        const int64_t id = b->cols[0].i64[r];
        if (i > 0 && b->cols[0].i64[s->order[i - 1]] == id) {
            const uint32_t prev = s->order[i - 1];
            if (s->state[prev] == 1 || (s->state[prev] != 2 && rows_equal(b, prev, r))) {
                s->state[r] = 1;
                s->counts.skipped++;
                continue;
            }
            char reason[160];
            snprintf(reason, sizeof(reason),
                     "id %lld appears twice in the export with different values", (long long)id);
            rc = reject(j, r, "id", reason);
            continue;
        }
        if (keyset_has(&j->stored, id)) {
            s->state[r] = 1;
            s->counts.skipped++;
            continue;
        }
        const size_t before = j->out.rows;
        switch (j->t->id) {
        case CS_T_FACT_AGENT_QUERY:
            rc = build_query(j, r);
            break;
        case CS_T_FACT_APPROVAL:
            rc = build_approval(j, r);
            break;
        default:
            rc = build_training(j, r);
            break;
        }
        if (rc == CS_OK && s->state[r] == 0) {
            j->out.rows = before + 1;
            j->next_key++;
            s->counts.loaded++;
        }
    }
    return rc;
}

/* ---- into the days ---- */

static int cmp_i64(const void *pa, const void *pb)
{
    const int64_t x = *(const int64_t *)pa, y = *(const int64_t *)pb;
    return (x > y) - (x < y);
}

/* The distinct time_keys of the new rows, ascending (a night touches a handful of days). */
static int distinct_days(const struct cs_col *tk, int64_t **out, size_t *n)
{
    size_t cap = 16, k = 0;
    int64_t *d = malloc(cap * sizeof(*d));
    if (d == NULL) return CS_ENOMEM;
    for (size_t r = 0; r < tk->len; r++) {
        if (k > 0 && d[k - 1] == tk->i64[r]) continue; /* runs of one day: the usual case */
        size_t i = 0;
        while (i < k && d[i] != tk->i64[r])
            i++;
        if (i < k) continue;
        if (k == cap) {
            int64_t *p = realloc(d, 2 * cap * sizeof(*p));
            if (p == NULL) {
                free(d);
                return CS_ENOMEM;
            }
            d = p;
            cap *= 2;
        }
        d[k++] = tk->i64[r];
    }
    qsort(d, k, sizeof(*d), cmp_i64);
    *out = d;
    *n = k;
    return CS_OK;
}

/* Put every day that gets new rows: a day not stored yet as a new partition; a stored day (late
 * rows) gets them appended as a new row group: their keys are larger than every stored key,
 * so the day stays in key order and nothing stored is read or rewritten. */
static int put_days(struct fact_job *j)
{
    struct cs_batch *out = &j->out;
    const size_t n = out->rows;
    if (n == 0) return CS_OK;
    const struct cs_col *tkc = &out->cols[j->t->time_col];
    int64_t *days = NULL;
    size_t ndays = 0;
    if (distinct_days(tkc, &days, &ndays) != CS_OK) return oom(j->n);
    struct cs_snap *snap = j->n->sess->snap;
    struct cs_batch day;
    cs_batch_init(&day, j->t);
    int rc = CS_OK;
    for (size_t d = 0; d < ndays && rc == CS_OK; d++) {
        const int32_t tk = (int32_t)days[d];
        size_t first, end;
        cs_snap_part_range(snap, j->t->id, tk, tk, &first, &end);
        cs_batch_reset(&day);
        if (ndays == 1) { /* every new row is of this day: hand the batch over */
            cs_batch_free(&day);
            day = *out;
            cs_batch_init(out, j->t);
        }
        for (size_t r = 0; ndays > 1 && r < n && rc == CS_OK;) { /* runs of the day, in order */
            if (tkc->i64[r] != tk) {
                r++;
                continue;
            }
            size_t e = r + 1;
            while (e < n && tkc->i64[e] == tk)
                e++;
            if (!cs_batch_append_range(&day, out, r, e - r)) rc = oom(j->n);
            r = e;
        }
        if (rc == CS_OK && first < end)
            rc = cs_session_append_fact(j->n->sess, j->t->id, tk, &day, &j->n->e);
        else if (rc == CS_OK)
            rc = cs_session_put_fact(j->n->sess, j->t->id, tk, &day, &j->n->e);
    }
    cs_batch_free(&day);
    free(days);
    return rc;
}

static int run_source(struct cs_night *n, int which, int table)
{
    struct fact_job j = {.n = n, .s = &n->src[which], .t = cs_schema_table(table)};
    cs_batch_init(&j.out, j.t);
    cs_keyset_init(&j.stored);
    int rc = build_all(&j);
    if (rc == CS_OK) rc = put_days(&j);
    cs_batch_free(&j.out);
    cs_keyset_free(&j.stored);
    free(j.hash);
    return rc;
}

int cs_night_facts(struct cs_night *n)
{
    static const int tables[3] = {CS_T_FACT_AGENT_QUERY, CS_T_FACT_APPROVAL, CS_T_FACT_TRAINING};
    int rc = CS_OK;
    for (int i = 0; i < 3 && rc == CS_OK; i++) {
        if (n->src[CS_NI_QUERIES + i].present) rc = run_source(n, CS_NI_QUERIES + i, tables[i]);
    }
    return rc;
}
