/*
 * Loading a fact export (fact_agent_query, fact_approval, fact_training), streaming:
 *
 *   parse a chunk → per row, in file order: foreign keys against the surrogate keys of the
 *   dimensions the table references (their key columns only, as bitmaps), then the surrogate key against the store (zone maps +
 *   binary search in the partition's sorted key column) and against the keys already seen in
 *   this export (a dense bitmap): same values = skipped, different = conflict → kept rows are
 *   staged per time_key (runs appended column-wise) → when CS_LOAD_FLUSH_ROWS rows are staged,
 *   the days before the newest one seen are written: old rows + new rows in key order
 *   (the session's view also shows a day this load already wrote), and the day is touched: the
 *   session refreshes its daily aggregates once, at the end → at the end every remaining day is
 *   written. All in one session (one transaction).
 *
 * Memory is bounded by the staged rows plus one day's merge, whatever the export's size, when
 * the export is in time order (as COPY ... ORDER BY key prints it); a day that gets rows again
 * after it was written is merged again (correct, but its earlier block becomes dead space in
 * the new data file).
 */
#include "engine/load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/keyset.h"
#include "engine/session.h"

/* The keys of a dimension as a bitmap over [lo, lo + 64 * nwords): surrogate keys are dense, so
 * a foreign-key check is one load and a mask instead of a hash lookup. */
struct fk_bits {
    int64_t lo;
    uint64_t *words;
    size_t nwords;
    bool sparse;        /* keys too spread out for a bitmap: */
    struct cs_hmap set; /* then a hash set */
};

struct day_stage {
    int32_t time_key;
    struct cs_batch rows;
};

/* Stored partitions of the table, for key lookups: ordered by min key. */
struct base_keys {
    size_t n;
    int64_t *min, *max;
    uint32_t *part;
    bool disjoint;
    size_t cached; /* partition whose keys/rows are decoded, SIZE_MAX when none */
    struct cs_col keys;
    struct cs_batch rows;
    bool rows_loaded;
};

struct fact_load {
    struct cs_load *ld;
    int fk_cols[CS_MAX_COLS]; /* the foreign-key columns */
    int nfk;
    struct fk_bits fk_bits[CS_MAX_COLS];
    struct day_stage *days;
    size_t ndays, cap, staged;
    size_t flush_rows; /* staged rows that trigger writing complete days */
    struct base_keys base;
    struct cs_keyset seen;
    int32_t *flushed; /* days written at least once by this load */
    size_t nflushed, flushed_cap;
};

static int oom(struct fact_load *fl)
{
    return cs_error_set(&fl->ld->e, CS_ENOMEM, "out of memory");
}

/* ---- foreign keys ---- */

/* Read the surrogate keys of the dimension column c references (only that column: a fact
 * load never needs the dimension's other columns) and index them: a bitmap when dense, else a
 * hash set. */
static int fk_prepare(struct fact_load *fl, int c)
{
    const struct cs_table_def *dt = cs_schema_table(fl->ld->t->cols[c].fk);
    struct fk_bits *b = &fl->fk_bits[c];
    struct cs_batch kb; /* the key column of every chunk of the dimension */
    cs_batch_init(&kb, dt);
    const int key = dt->key_col;
    int rc = cs_snap_read_groups(fl->ld->snap, dt->id, 0, cs_snap_part_count(fl->ld->snap, dt->id),
                                 &key, 1, &kb, &fl->ld->e);
    const struct cs_col keys = kb.cols[key];
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t r = 0; rc == CS_OK && r < keys.len; r++) {
        lo = keys.i64[r] < lo ? keys.i64[r] : lo;
        hi = keys.i64[r] > hi ? keys.i64[r] : hi;
    }
    if (rc == CS_OK && keys.len > 0 && (uint64_t)hi - (uint64_t)lo < (UINT64_C(1) << 28)) {
        b->nwords = (size_t)(((uint64_t)hi - (uint64_t)lo) / 64 + 1);
        b->words = calloc(b->nwords, sizeof(uint64_t));
        b->lo = lo;
        for (size_t r = 0; b->words != NULL && r < keys.len; r++) {
            const uint64_t bit = (uint64_t)(keys.i64[r] - lo);
            b->words[bit / 64] |= UINT64_C(1) << (bit % 64);
        }
        if (b->words == NULL) rc = oom(fl);
    } else if (rc == CS_OK) {
        b->sparse = true;
        if (!cs_hmap_init(&b->set, false, keys.len)) rc = oom(fl);
        for (size_t r = 0; rc == CS_OK && r < keys.len; r++) {
            if (!cs_hmap_put(&b->set, keys.i64[r], 1)) rc = oom(fl);
        }
    }
    cs_batch_free(&kb);
    return rc;
}

static bool fk_has(const struct fact_load *fl, int c, int64_t v)
{
    const struct fk_bits *b = &fl->fk_bits[c];
    if (b->sparse) return cs_hmap_get(&b->set, v) != NULL;
    const uint64_t bit = (uint64_t)v - (uint64_t)b->lo;
    return b->words != NULL && v >= b->lo && bit / 64 < b->nwords &&
           (b->words[bit / 64] >> (bit % 64)) & 1;
}

/* missing_dims() - CS_EINPUT naming, in one message, every dimension the table references
 * that holds no row yet: a fact load before its dimensions would otherwise fail on the first
 * missing one, and the user would find the others one run at a time. Called at the first row
 * that references an empty dimension (an empty export still loads nothing, successfully). */
static int missing_dims(struct fact_load *fl)
{
    const struct cs_table_def *t = fl->ld->t;
    char list[256] = "";
    size_t len = 0;
    int n = 0;
    bool named[CS_TABLE_MAX + 1] = {false};
    for (int c = 0; c < t->ncols; c++) {
        const int fk = t->cols[c].fk;
        if (fk == 0 || named[fk]) continue;
        const struct cs_table_def *dt = cs_schema_table(fk);
        if (cs_snap_part_count(fl->ld->snap, dt->id) > 0) continue;
        named[fk] = true;
        const int w = snprintf(list + len, sizeof(list) - len, "%s%s", n > 0 ? ", " : "", dt->name);
        if (w > 0 && (size_t)w < sizeof(list) - len) len += (size_t)w;
        n++;
    }
    if (n == 0) return CS_OK;
    return cs_error_set(
        &fl->ld->e, CS_EINPUT, "%s: %s references %s with no rows yet: load %s first",
        cs_parser_filename(fl->ld->parser), t->name, n > 1 ? "dimensions" : "a dimension", list);
}

static int check_fks(struct fact_load *fl, const struct cs_batch *b, size_t r, bool *ok)
{
    const struct cs_table_def *t = b->table;
    *ok = true;
    for (int i = 0; i < fl->nfk; i++) {
        const int c = fl->fk_cols[i];
        if (cs_col_is_null(&b->cols[c], r)) continue;
        const int64_t v = b->cols[c].i64[r];
        if (fk_has(fl, c, v)) continue;
        const struct cs_table_def *dt = cs_schema_table(t->cols[c].fk);
        /* an empty dimension: not this row's fault, every row would be rejected */
        if (cs_snap_part_count(fl->ld->snap, dt->id) == 0) return missing_dims(fl);
        char reason[160];
        snprintf(reason, sizeof(reason), "no %s row with %s %lld", dt->name,
                 dt->cols[dt->key_col].name, (long long)v);
        *ok = false;
        return cs_parser_reject(fl->ld->parser, b, r, t->cols[c].name, reason, &fl->ld->e);
    }
    return CS_OK;
}

/* Load the dimensions the table references (only those) and index their keys. */
static int fk_init(struct fact_load *fl)
{
    const struct cs_table_def *t = fl->ld->t;
    for (int c = 0; c < t->ncols; c++) {
        if (t->cols[c].fk == 0) continue;
        fl->fk_cols[fl->nfk++] = c;
        int rc = fk_prepare(fl, c);
        if (rc != CS_OK) return rc;
    }
    return CS_OK;
}

/* ---- stored keys ---- */

static int cmp_i64_pair(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

static int base_init(struct fact_load *fl)
{
    struct base_keys *bk = &fl->base;
    const struct cs_table_def *t = fl->ld->t;
    const size_t n = cs_snap_part_count(fl->ld->snap, t->id);
    bk->cached = SIZE_MAX;
    cs_col_init(&bk->keys, CS_K_I64);
    cs_batch_init(&bk->rows, t);
    int64_t *tmp = malloc((n ? n : 1) * 3 * sizeof(int64_t));
    bk->min = malloc((n ? n : 1) * sizeof(int64_t));
    bk->max = malloc((n ? n : 1) * sizeof(int64_t));
    bk->part = malloc((n ? n : 1) * sizeof(uint32_t));
    int rc = tmp && bk->min && bk->max && bk->part ? CS_OK : oom(fl);
    size_t k = 0;
    for (size_t i = 0; i < n && rc == CS_OK; i++) {
        struct cs_part_ranges rg; /* from the manifest: no block header read */
        rc = cs_snap_part_ranges(fl->ld->snap, t->id, i, &rg, &fl->ld->e);
        if (rc != CS_OK || rg.key_min > rg.key_max) continue;
        tmp[3 * k] = rg.key_min;
        tmp[3 * k + 1] = rg.key_max;
        tmp[3 * k + 2] = (int64_t)i;
        k++;
    }
    if (rc == CS_OK) qsort(tmp, k, 3 * sizeof(int64_t), cmp_i64_pair);
    bk->disjoint = true;
    for (size_t i = 0; rc == CS_OK && i < k; i++) {
        bk->min[i] = tmp[3 * i];
        bk->max[i] = tmp[3 * i + 1];
        bk->part[i] = (uint32_t)tmp[3 * i + 2];
        if (i > 0 && bk->min[i] <= bk->max[i - 1]) bk->disjoint = false;
    }
    bk->n = rc == CS_OK ? k : 0;
    free(tmp);
    return rc;
}

static void base_free(struct base_keys *bk)
{
    free(bk->min);
    free(bk->max);
    free(bk->part);
    cs_col_free(&bk->keys);
    if (bk->rows.table != NULL) cs_batch_free(&bk->rows);
}

/* Row of key k in stored partition part (keys are sorted within a partition), or -1. */
static int find_in_part(struct fact_load *fl, uint32_t part, int64_t k, int64_t *row)
{
    struct base_keys *bk = &fl->base;
    if (bk->cached != part) {
        bk->cached = SIZE_MAX;
        bk->rows_loaded = false;
        int rc = cs_snap_read_col(fl->ld->snap, fl->ld->t->id, part, fl->ld->t->key_col, &bk->keys,
                                  &fl->ld->e);
        if (rc != CS_OK) return rc;
        bk->cached = part;
    }
    size_t lo = 0, hi = bk->keys.len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (bk->keys.i64[mid] < k)
            lo = mid + 1;
        else
            hi = mid;
    }
    *row = lo < bk->keys.len && bk->keys.i64[lo] == k ? (int64_t)lo : -1;
    return CS_OK;
}

/* Where key k is stored: *part and *row, or *row = -1. */
static int base_lookup(struct fact_load *fl, int64_t k, uint32_t *part, int64_t *row)
{
    const struct base_keys *bk = &fl->base;
    *row = -1;
    size_t lo = 0, hi = bk->n; /* first index with min > k */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (bk->min[mid] <= k)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i-- > 0;) {
        if (bk->max[i] >= k) {
            *part = bk->part[i];
            int rc = find_in_part(fl, bk->part[i], k, row);
            if (rc != CS_OK || *row >= 0) return rc;
        }
        if (bk->disjoint) break;
    }
    return CS_OK;
}

static int base_row_batch(struct fact_load *fl, uint32_t part, const struct cs_batch **out)
{
    struct base_keys *bk = &fl->base;
    if (!bk->rows_loaded || bk->cached != part) {
        int rc = cs_snap_read_part(fl->ld->snap, fl->ld->t->id, part, &bk->rows, &fl->ld->e);
        if (rc != CS_OK) return rc;
        bk->rows_loaded = true;
    }
    *out = &bk->rows;
    return CS_OK;
}

/* ---- keys seen earlier in this export ---- */

static bool find_row_by_key(const struct cs_batch *b, int64_t k, size_t *row)
{
    const struct cs_col *keys = &b->cols[b->table->key_col];
    for (size_t r = 0; r < keys->len; r++) {
        if (keys->i64[r] == k) {
            *row = r;
            return true;
        }
    }
    return false;
}

/* Compare row r of chunk with the earlier row of this export that has the same key. */
static int earlier_equal(struct fact_load *fl,
                         const struct cs_batch *chunk,
                         size_t r,
                         int64_t k,
                         size_t upto,
                         bool *equal)
{
    size_t row;
    *equal = false;
    if (find_row_by_key(chunk, k, &row) && row < upto) {
        *equal = cs_rows_equal(chunk, r, chunk, row);
        return CS_OK;
    }
    for (size_t d = 0; d < fl->ndays; d++) {
        if (find_row_by_key(&fl->days[d].rows, k, &row)) {
            *equal = cs_rows_equal(chunk, r, &fl->days[d].rows, row);
            return CS_OK;
        }
    }
    struct cs_batch b;
    cs_batch_init(&b, fl->ld->t);
    int rc = CS_OK;
    for (size_t i = 0; i < fl->nflushed && rc == CS_OK; i++) {
        rc = cs_session_read_part(fl->ld->sess, fl->ld->t->id, fl->flushed[i], &b, &fl->ld->e);
        if (rc == CS_OK && find_row_by_key(&b, k, &row)) {
            *equal = cs_rows_equal(chunk, r, &b, row);
            break;
        }
    }
    cs_batch_free(&b);
    return rc;
}

static int conflict(struct fact_load *fl, const struct cs_batch *chunk, size_t r)
{
    const struct cs_table_def *t = fl->ld->t;
    char reason[160];
    snprintf(reason, sizeof(reason), "%s %lld is already stored with different values",
             t->cols[t->key_col].name, (long long)chunk->cols[t->key_col].i64[r]);
    return cs_parser_reject(fl->ld->parser, chunk, r, t->cols[t->key_col].name, reason, &fl->ld->e);
}

/* Decide row r of chunk by its key: *keep when new; skipped or rejected otherwise. */
static int check_key(struct fact_load *fl, const struct cs_batch *chunk, size_t r, bool *keep)
{
    const int64_t k = chunk->cols[fl->ld->t->key_col].i64[r];
    *keep = false;
    bool equal = false;
    int rc = CS_OK;
    const int seen = cs_keyset_add(&fl->seen, k);
    if (seen < 0) return oom(fl);
    if (seen == 1) {
        rc = earlier_equal(fl, chunk, r, k, r, &equal);
    } else if (fl->base.n > 0) {
        uint32_t part = 0;
        int64_t row;
        rc = base_lookup(fl, k, &part, &row);
        if (rc != CS_OK || row < 0) {
            *keep = rc == CS_OK;
            return rc;
        }
        const struct cs_batch *b = NULL;
        rc = base_row_batch(fl, part, &b);
        if (rc == CS_OK) equal = cs_rows_equal(chunk, r, b, (size_t)row);
    } else {
        *keep = true;
        return CS_OK;
    }
    if (rc != CS_OK) return rc;
    if (equal) {
        fl->ld->stats.rows_skipped++;
        return CS_OK;
    }
    return conflict(fl, chunk, r);
}

/* ---- staging and writing days ---- */

static struct day_stage *stage_for(struct fact_load *fl, int32_t time_key)
{
    for (size_t d = fl->ndays; d-- > 0;) { /* the newest day is the likely one */
        if (fl->days[d].time_key == time_key) return &fl->days[d];
    }
    if (fl->ndays == fl->cap) {
        size_t cap = fl->cap ? 2 * fl->cap : 64;
        struct day_stage *d = realloc(fl->days, cap * sizeof(*d));
        if (d == NULL) return NULL;
        fl->days = d;
        fl->cap = cap;
    }
    struct day_stage *s = &fl->days[fl->ndays++];
    s->time_key = time_key;
    cs_batch_init(&s->rows, fl->ld->t);
    return s;
}

static int note_flushed(struct fact_load *fl, int32_t time_key)
{
    for (size_t i = 0; i < fl->nflushed; i++) {
        if (fl->flushed[i] == time_key) return CS_OK;
    }
    if (fl->nflushed == fl->flushed_cap) {
        size_t cap = fl->flushed_cap ? 2 * fl->flushed_cap : 64;
        int32_t *p = realloc(fl->flushed, cap * sizeof(*p));
        if (p == NULL) return oom(fl);
        fl->flushed = p;
        fl->flushed_cap = cap;
    }
    fl->flushed[fl->nflushed++] = time_key;
    return CS_OK;
}

static bool sorted_by_key(const struct cs_batch *b)
{
    const struct cs_col *k = &b->cols[b->table->key_col];
    for (size_t r = 1; r < k->len; r++) {
        if (k->i64[r] < k->i64[r - 1]) return false;
    }
    return true;
}

static bool flushed_before(const struct fact_load *fl, int32_t time_key)
{
    for (size_t i = 0; i < fl->nflushed; i++) {
        if (fl->flushed[i] == time_key) return true;
    }
    return false;
}

/* The day's rows as they stand: this load's earlier write of the day (through the writer,
 * drained first), else the stored partition. */
static int read_old_day(struct fact_load *fl, int32_t time_key, struct cs_batch *old)
{
    const struct cs_table_def *t = fl->ld->t;
    if (flushed_before(fl, time_key))
        return cs_session_read_part(fl->ld->sess, t->id, time_key, old, &fl->ld->e);
    size_t first, end;
    cs_snap_part_range(fl->ld->snap, t->id, time_key, time_key, &first, &end);
    cs_batch_reset(old); /* every row group of the day */
    return first == end
               ? CS_OK
               : cs_snap_read_groups(fl->ld->snap, t->id, first, end, NULL, 0, old, &fl->ld->e);
}

/* Write one staged day: old rows + new rows in key order; the session refreshes its aggregates
 * at the end. The staged rows are handed to the writer (s->rows is left empty). */
static int write_day(struct fact_load *fl, struct day_stage *s)
{
    const struct cs_table_def *t = fl->ld->t;
    const size_t added = s->rows.rows;
    struct cs_batch old, merged;
    cs_batch_init(&old, t);
    cs_batch_init(&merged, t);
    int rc = read_old_day(fl, s->time_key, &old);
    struct cs_batch *rows = &merged;
    if (rc == CS_OK && old.rows == 0 && sorted_by_key(&s->rows))
        rows = &s->rows; /* no copy */
    else if (rc == CS_OK)
        rc = cs_merge_by_key(&old, &s->rows, NULL, &merged, &fl->ld->e);
    if (rc == CS_OK) rc = cs_session_put_fact(fl->ld->sess, t->id, s->time_key, rows, &fl->ld->e);
    if (rc == CS_OK) rc = note_flushed(fl, s->time_key);
    if (rc == CS_OK) {
        fl->ld->stats.rows_loaded += added;
        fl->ld->stats.partitions_written++;
    }
    cs_batch_free(&old);
    cs_batch_free(&merged);
    return rc;
}

/* Write the staged days with time_key < before (all of them for INT32_MAX). */
static int flush_days(struct fact_load *fl, int32_t before)
{
    size_t keep = 0;
    int rc = CS_OK;
    for (size_t d = 0; d < fl->ndays; d++) {
        struct day_stage *s = &fl->days[d];
        if (rc == CS_OK && s->time_key < before) {
            fl->staged -= s->rows.rows;
            rc = write_day(fl, s);
            cs_batch_free(&s->rows);
        } else {
            fl->days[keep++] = *s;
        }
    }
    fl->ndays = keep;
    return rc;
}

/* Append rows [from, to) of chunk to their days, one run of equal time_key at a time. */
static int stage_run(struct fact_load *fl, const struct cs_batch *chunk, size_t from, size_t to)
{
    const int tc = fl->ld->t->time_col;
    while (from < to) {
        const int64_t tk = chunk->cols[tc].i64[from];
        size_t end = from + 1;
        while (end < to && chunk->cols[tc].i64[end] == tk)
            end++;
        struct day_stage *s = stage_for(fl, (int32_t)tk);
        if (s == NULL || !cs_batch_append_range(&s->rows, chunk, from, end - from)) return oom(fl);
        fl->staged += end - from;
        from = end;
    }
    return CS_OK;
}

static int stage_chunk(struct fact_load *fl, const struct cs_batch *chunk, int32_t *max_tk)
{
    size_t run = 0; /* start of the current run of kept rows */
    const int tc = fl->ld->t->time_col;
    for (size_t r = 0; r < chunk->rows; r++) {
        bool ok = false;
        int rc = check_fks(fl, chunk, r, &ok);
        if (rc == CS_OK && ok) rc = check_key(fl, chunk, r, &ok);
        if (rc != CS_OK) return rc;
        if (ok) {
            if (chunk->cols[tc].i64[r] > *max_tk) *max_tk = (int32_t)chunk->cols[tc].i64[r];
            continue;
        }
        rc = stage_run(fl, chunk, run, r);
        if (rc != CS_OK) return rc;
        run = r + 1;
    }
    return stage_run(fl, chunk, run, chunk->rows);
}

static int load_loop(struct fact_load *fl)
{
    struct cs_batch chunk;
    cs_batch_init(&chunk, fl->ld->t);
    int rc;
    int32_t max_tk = INT32_MIN;
    for (;;) {
        const size_t max_rows =
            fl->flush_rows < CS_PARSE_BATCH_ROWS ? fl->flush_rows : CS_PARSE_BATCH_ROWS;
        rc = cs_parser_next(fl->ld->parser, &chunk, max_rows, &fl->ld->e);
        if (rc != CS_OK || chunk.rows == 0) break;
        fl->ld->stats.rows_read += chunk.rows;
        rc = stage_chunk(fl, &chunk, &max_tk);
        if (rc == CS_OK && fl->staged >= fl->flush_rows) rc = flush_days(fl, max_tk);
        if (rc == CS_OK && fl->staged >= 2 * fl->flush_rows) rc = flush_days(fl, INT32_MAX);
        if (rc == CS_OK) rc = cs_load_progress(fl->ld);
        if (rc != CS_OK) break;
    }
    cs_batch_free(&chunk);
    if (rc == CS_OK) rc = flush_days(fl, INT32_MAX);
    return rc;
}

int cs_load_fact(struct cs_load *ld)
{
    struct fact_load fl = {.ld = ld, .flush_rows = CS_LOAD_FLUSH_ROWS};
    if (ld->opts->max_staged_rows > 0) fl.flush_rows = ld->opts->max_staged_rows;
    cs_keyset_init(&fl.seen);
    int rc = base_init(&fl);
    if (rc == CS_OK) rc = fk_init(&fl);
    if (rc == CS_OK) rc = load_loop(&fl);
    for (int c = 0; c < CS_MAX_COLS; c++) {
        free(fl.fk_bits[c].words);
        if (fl.fk_bits[c].sparse) cs_hmap_free(&fl.fk_bits[c].set);
    }
    for (size_t d = 0; d < fl.ndays; d++)
        cs_batch_free(&fl.days[d].rows);
    free(fl.days);
    free(fl.flushed);
    base_free(&fl.base);
    cs_keyset_free(&fl.seen);
    return rc;
}
