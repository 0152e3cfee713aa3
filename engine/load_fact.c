/*
 * Loading a fact export (fact_agent_query, fact_approval, fact_training).
 *
 *   parse batches → foreign keys checked against the dimensions (loaded lazily, only those the
 *   table references) → rows staged per time_key → surrogate keys checked against the store
 *   (only partitions whose key zone map overlaps the export's keys are read) and against the
 *   export itself: same values = skipped, different values = conflict → each touched day's
 *   partition rewritten as old rows + new rows in key order → that day's daily aggregates
 *   recomputed from the three fact tables' new state → all put into one transaction.
 */
#include "engine/load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/report.h"

struct day_stage {
    int32_t time_key;
    struct cs_batch rows;
    uint8_t *keep;
};

struct fact_load {
    struct cs_load *ld;
    struct cs_dim *dims[CS_TABLE_MAX + 1];
    struct day_stage *days;
    size_t ndays, cap;
    struct cs_hmap day_index; /* time_key → index in days */
    struct cs_batch **old_parts; /* cache of stored partitions read whole, by index */
    size_t nparts;
};

static int get_dim(struct fact_load *fl, int table, struct cs_dim **out)
{
    if (fl->dims[table] == NULL) {
        int rc = cs_dim_load(fl->ld->snap, table, &fl->dims[table], &fl->ld->e);
        if (rc != CS_OK) return rc;
    }
    *out = fl->dims[table];
    return CS_OK;
}

/* Foreign keys of row r: returns CS_OK with *ok false when the row was rejected. */
static int check_fks(struct fact_load *fl, const struct cs_batch *b, size_t r, bool *ok)
{
    const struct cs_table_def *t = b->table;
    *ok = true;
    for (int c = 0; c < t->ncols; c++) {
        const int fk = t->cols[c].fk;
        if (fk == 0 || cs_col_is_null(&b->cols[c], r)) continue;
        struct cs_dim *dim;
        int rc = get_dim(fl, fk, &dim);
        if (rc != CS_OK) return rc;
        const int64_t v = b->cols[c].i64[r];
        if (cs_dim_row_by_key(dim, v) >= 0) continue;
        char reason[160];
        snprintf(reason, sizeof(reason), "no %s row with %s %lld", dim->table->name,
                 dim->table->cols[dim->table->key_col].name, (long long)v);
        *ok = false;
        return cs_parser_reject(fl->ld->parser, b, r, t->cols[c].name, reason, &fl->ld->e);
    }
    return CS_OK;
}

static struct day_stage *stage_for(struct fact_load *fl, int32_t time_key)
{
    uint64_t *idx = cs_hmap_get(&fl->day_index, time_key);
    if (idx != NULL) return &fl->days[*idx];
    if (fl->ndays == fl->cap) {
        size_t cap = fl->cap ? 2 * fl->cap : 64;
        struct day_stage *d = realloc(fl->days, cap * sizeof(*d));
        if (d == NULL) return NULL;
        fl->days = d;
        fl->cap = cap;
    }
    struct day_stage *s = &fl->days[fl->ndays];
    memset(s, 0, sizeof(*s));
    s->time_key = time_key;
    cs_batch_init(&s->rows, fl->ld->t);
    if (!cs_hmap_put(&fl->day_index, time_key, fl->ndays)) return NULL;
    fl->ndays++;
    return s;
}

static int stage_chunk(struct fact_load *fl, const struct cs_batch *chunk)
{
    const int tc = fl->ld->t->time_col;
    for (size_t r = 0; r < chunk->rows; r++) {
        bool ok;
        int rc = check_fks(fl, chunk, r, &ok);
        if (rc != CS_OK) return rc;
        if (!ok) continue;
        struct day_stage *s = stage_for(fl, (int32_t)chunk->cols[tc].i64[r]);
        if (s == NULL || !cs_batch_push_row_from(&s->rows, chunk, r))
            return cs_error_set(&fl->ld->e, CS_ENOMEM, "out of memory staging rows");
    }
    return CS_OK;
}

static int parse_and_stage(struct fact_load *fl)
{
    struct cs_batch chunk;
    cs_batch_init(&chunk, fl->ld->t);
    int rc;
    for (;;) {
        rc = cs_parser_next(fl->ld->parser, &chunk, CS_PARSE_BATCH_ROWS, &fl->ld->e);
        if (rc != CS_OK || chunk.rows == 0) break;
        fl->ld->stats.rows_read += chunk.rows;
        rc = stage_chunk(fl, &chunk);
        cs_load_progress(fl->ld);
        if (rc != CS_OK) break;
    }
    cs_batch_free(&chunk);
    return rc;
}

static int cmp_stage(const void *a, const void *b)
{
    const struct day_stage *x = a, *y = b;
    return (x->time_key > y->time_key) - (x->time_key < y->time_key);
}

static int old_part(struct fact_load *fl, size_t i, struct cs_batch **out)
{
    if (fl->old_parts[i] == NULL) {
        struct cs_batch *b = malloc(sizeof(*b));
        if (b == NULL) return cs_error_set(&fl->ld->e, CS_ENOMEM, "out of memory");
        cs_batch_init(b, fl->ld->t);
        int rc = cs_snap_read_part(fl->ld->snap, fl->ld->t->id, i, b, &fl->ld->e);
        if (rc != CS_OK) {
            cs_batch_free(b);
            free(b);
            return rc;
        }
        fl->old_parts[i] = b;
    }
    *out = fl->old_parts[i];
    return CS_OK;
}

/* Index the stored keys that fall within [lo, hi]: key → (partition << 32 | row). */
static int index_stored_keys(struct fact_load *fl, int64_t lo, int64_t hi, struct cs_hmap *m)
{
    const struct cs_table_def *t = fl->ld->t;
    struct cs_col keys;
    cs_col_init(&keys, CS_K_I64);
    int rc = CS_OK;
    for (size_t i = 0; i < fl->nparts && rc == CS_OK; i++) {
        struct cs_seg_stats st;
        rc = cs_snap_col_stats(fl->ld->snap, t->id, i, t->key_col, &st, &fl->ld->e);
        if (rc != CS_OK || st.rows == 0 || st.max < lo || st.min > hi) continue;
        rc = cs_snap_read_col(fl->ld->snap, t->id, i, t->key_col, &keys, &fl->ld->e);
        for (size_t r = 0; rc == CS_OK && r < keys.len; r++) {
            if (!cs_hmap_put(m, keys.i64[r], ((uint64_t)i << 32) | r))
                rc = cs_error_set(&fl->ld->e, CS_ENOMEM, "out of memory");
        }
    }
    cs_col_free(&keys);
    return rc;
}

static int conflict(struct fact_load *fl, struct day_stage *s, size_t r)
{
    const struct cs_table_def *t = fl->ld->t;
    char reason[160];
    snprintf(reason, sizeof(reason), "%s %lld is already stored with different values",
             t->cols[t->key_col].name, (long long)s->rows.cols[t->key_col].i64[r]);
    return cs_parser_reject(fl->ld->parser, &s->rows, r, t->cols[t->key_col].name, reason,
                            &fl->ld->e);
}

/* Mark each staged row keep / skipped / rejected by its surrogate key. */
static int check_row_key(struct fact_load *fl,
                         const struct cs_hmap *stored,
                         struct cs_hmap *seen,
                         size_t d,
                         size_t r)
{
    struct day_stage *s = &fl->days[d];
    const int64_t key = s->rows.cols[fl->ld->t->key_col].i64[r];
    const uint64_t *hit = cs_hmap_get(stored, key);
    if (hit != NULL) {
        struct cs_batch *b = NULL;
        int rc = old_part(fl, (size_t)(*hit >> 32), &b);
        if (rc != CS_OK) return rc;
        if (cs_rows_equal(&s->rows, r, b, (size_t)(*hit & 0xffffffffu))) {
            fl->ld->stats.rows_skipped++;
            return CS_OK;
        }
        return conflict(fl, s, r);
    }
    hit = cs_hmap_get(seen, key);
    if (hit != NULL) {
        const struct day_stage *o = &fl->days[*hit >> 32];
        if (cs_rows_equal(&s->rows, r, &o->rows, (size_t)(*hit & 0xffffffffu))) {
            fl->ld->stats.rows_skipped++;
            return CS_OK;
        }
        return conflict(fl, s, r);
    }
    if (!cs_hmap_put(seen, key, ((uint64_t)d << 32) | r))
        return cs_error_set(&fl->ld->e, CS_ENOMEM, "out of memory");
    s->keep[r] = 1;
    return CS_OK;
}

static int check_keys(struct fact_load *fl)
{
    const int kc = fl->ld->t->key_col;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    size_t total = 0;
    for (size_t d = 0; d < fl->ndays; d++) {
        const struct cs_col *k = &fl->days[d].rows.cols[kc];
        for (size_t r = 0; r < k->len; r++) {
            lo = k->i64[r] < lo ? k->i64[r] : lo;
            hi = k->i64[r] > hi ? k->i64[r] : hi;
        }
        total += k->len;
        fl->days[d].keep = calloc(k->len ? k->len : 1, 1);
        if (fl->days[d].keep == NULL) return cs_error_set(&fl->ld->e, CS_ENOMEM, "out of memory");
    }
    struct cs_hmap stored, seen;
    if (!cs_hmap_init(&stored, false, 1024) || !cs_hmap_init(&seen, false, total))
        return cs_error_set(&fl->ld->e, CS_ENOMEM, "out of memory");
    int rc = total > 0 ? index_stored_keys(fl, lo, hi, &stored) : CS_OK;
    for (size_t d = 0; d < fl->ndays && rc == CS_OK; d++) {
        for (size_t r = 0; r < fl->days[d].rows.rows && rc == CS_OK; r++)
            rc = check_row_key(fl, &stored, &seen, d, r);
    }
    cs_hmap_free(&stored);
    cs_hmap_free(&seen);
    return rc;
}

/* Read table's partition for time_key from the snapshot into b (left empty when none). */
static int read_day(struct cs_snap *snap, int table, int32_t time_key, struct cs_batch *b,
                    struct cs_error *err)
{
    size_t first, end;
    cs_snap_part_range(snap, table, time_key, time_key, &first, &end);
    cs_batch_reset(b);
    if (first == end) return CS_OK;
    return cs_snap_read_part(snap, table, first, b, err);
}

static int refresh_agg(struct fact_load *fl, int32_t time_key, const struct cs_batch *merged)
{
    static const int facts[3] = {CS_T_FACT_AGENT_QUERY, CS_T_FACT_APPROVAL, CS_T_FACT_TRAINING};
    struct cs_batch day[3], agg;
    const struct cs_batch *use[3];
    int rc = CS_OK;
    for (int i = 0; i < 3; i++) {
        cs_batch_init(&day[i], cs_schema_table(facts[i]));
        use[i] = &day[i];
        if (facts[i] == fl->ld->t->id) use[i] = merged;
        else if (rc == CS_OK) rc = read_day(fl->ld->snap, facts[i], time_key, &day[i], &fl->ld->e);
    }
    cs_batch_init(&agg, cs_schema_table(CS_T_AGG_DAILY));
    if (rc == CS_OK) rc = cs_daily_agg_compute(time_key, use[0], use[1], use[2], &agg, &fl->ld->e);
    if (rc == CS_OK) rc = cs_txn_put_part(fl->ld->txn, CS_T_AGG_DAILY, time_key, &agg, &fl->ld->e);
    for (int i = 0; i < 3; i++) cs_batch_free(&day[i]);
    cs_batch_free(&agg);
    return rc;
}

static int write_day(struct fact_load *fl, struct day_stage *s)
{
    size_t kept = 0;
    for (size_t r = 0; r < s->rows.rows; r++) kept += s->keep[r];
    if (kept == 0) return CS_OK;
    const struct cs_table_def *t = fl->ld->t;
    struct cs_batch old, merged;
    cs_batch_init(&old, t);
    cs_batch_init(&merged, t);
    int rc = read_day(fl->ld->snap, t->id, s->time_key, &old, &fl->ld->e);
    if (rc == CS_OK) rc = cs_merge_by_key(&old, &s->rows, s->keep, &merged, &fl->ld->e);
    if (rc == CS_OK) rc = cs_txn_put_part(fl->ld->txn, t->id, s->time_key, &merged, &fl->ld->e);
    if (rc == CS_OK) rc = refresh_agg(fl, s->time_key, &merged);
    if (rc == CS_OK) {
        fl->ld->stats.rows_loaded += kept;
        fl->ld->stats.partitions_written++;
    }
    cs_batch_free(&old);
    cs_batch_free(&merged);
    return rc;
}

static void fact_load_free(struct fact_load *fl)
{
    for (int i = 0; i <= CS_TABLE_MAX; i++) cs_dim_free(fl->dims[i]);
    for (size_t d = 0; d < fl->ndays; d++) {
        cs_batch_free(&fl->days[d].rows);
        free(fl->days[d].keep);
    }
    free(fl->days);
    for (size_t i = 0; fl->old_parts != NULL && i < fl->nparts; i++) {
        if (fl->old_parts[i] == NULL) continue;
        cs_batch_free(fl->old_parts[i]);
        free(fl->old_parts[i]);
    }
    free(fl->old_parts);
    cs_hmap_free(&fl->day_index);
}

int cs_load_fact(struct cs_load *ld)
{
    struct fact_load fl = {.ld = ld};
    fl.nparts = cs_snap_part_count(ld->snap, ld->t->id);
    fl.old_parts = calloc(fl.nparts ? fl.nparts : 1, sizeof(*fl.old_parts));
    if (fl.old_parts == NULL || !cs_hmap_init(&fl.day_index, false, 1024)) {
        fact_load_free(&fl);
        return cs_error_set(&ld->e, CS_ENOMEM, "out of memory");
    }
    int rc = parse_and_stage(&fl);
    if (rc == CS_OK) {
        qsort(fl.days, fl.ndays, sizeof(*fl.days), cmp_stage);
        rc = check_keys(&fl);
    }
    for (size_t d = 0; d < fl.ndays && rc == CS_OK; d++) rc = write_day(&fl, &fl.days[d]);
    fact_load_free(&fl);
    return rc;
}
