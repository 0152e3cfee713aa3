/*
 * The table scan (query/scan.h): partitions chosen once at open (range, time_key bounds, zone
 * maps), then per partition: the predicate's columns decoded, the predicate evaluated a
 * vector at a time into a selection of passing rows, and only then the projected columns
 * decoded and the selected rows gathered into the batch. A partition where every row passes
 * hands its decoded columns out as they are, without a copy.
 */
#include "query/scan_int.h"

#include <stdlib.h>
#include <string.h>

#include "storage/base/limits.h"
#include "storage/base/pgtext.h"

struct cs_scan {
    struct cs_snap *snap;
    const struct cs_table_def *t;
    const struct cs_scan_pred *pred;
    int *proj; /* nproj schema columns */
    size_t nproj;
    bool in_pred[CS_MAX_COLS];
    bool in_proj[CS_MAX_COLS];
    struct cs_col dec[CS_MAX_COLS]; /* the current partition's decoded columns */
    struct cs_col raw16;            /* a HASH16 column before it becomes hex text */
    struct cs_col *gathered;        /* nproj: the passing rows of each projected column */
    const struct cs_col **outp;     /* nproj: what the batch shows */
    size_t *kept;                   /* snapshot partition indexes to read, ascending */
    size_t nkept, next;
    uint8_t *truth;   /* CS_VECTOR_SIZE */
    uint8_t *scratch; /* depth * CS_VECTOR_SIZE */
    uint32_t *sel;    /* passing rows of the partition */
    size_t sel_cap;
    size_t leaves;
    struct cs_scan_batch batch;
    struct cs_scan_stats stats;
};

/* ---- choosing partitions ---- */

struct zone_ctx {
    struct cs_scan *s;
    size_t part;
    struct cs_part_info info;
};

static int zone_stats(void *ctx, int col, struct cs_seg_stats *out, struct cs_error *err)
{
    struct zone_ctx *z = ctx;
    const struct cs_table_def *t = z->s->t;
    if (t->is_fact && col == t->time_col) { /* the partition's own key: no I/O */
        *out = (struct cs_seg_stats){z->info.rows, 0, z->info.time_key, z->info.time_key};
        return CS_OK;
    }
    return cs_snap_col_stats(z->s->snap, t->id, z->part, col, out, err);
}

static int choose_parts(struct cs_scan *s, const struct cs_scan_opts *o, struct cs_error *err)
{
    const size_t n = cs_snap_part_count(s->snap, s->t->id);
    s->stats.parts_total = n;
    size_t first = o->part_first < n ? o->part_first : n;
    size_t end = o->part_count == 0 || o->part_count > n - first ? n : first + o->part_count;
    s->stats.parts_out_of_range = n - (end - first);
    s->kept = malloc((end - first + 1) * sizeof(*s->kept));
    if (s->kept == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t i = first; i < end; i++) {
        struct zone_ctx z = {s, i, cs_snap_part(s->snap, s->t->id, i)};
        if (s->t->is_fact && ((o->tk_min != 0 && z.info.time_key < o->tk_min) ||
                              (o->tk_max != 0 && z.info.time_key > o->tk_max))) {
            s->stats.parts_pruned_time++;
            continue;
        }
        bool may = true;
        if (s->pred != NULL) {
            const struct cs_scan_zone zone = {zone_stats, &z, s->t};
            const int rc = cs_scan_pred_may(s->pred, CS_TRUE, &zone, &may, err);
            if (rc != CS_OK) return rc;
        }
        if (!may) {
            s->stats.parts_pruned_zone++;
            continue;
        }
        s->kept[s->nkept++] = i;
    }
    return CS_OK;
}

/* ---- open / close ---- */

static int
check_proj(const struct cs_table_def *t, const struct cs_scan_opts *o, struct cs_error *err)
{
    if (o->ncols > 0 && o->cols == NULL)
        return cs_error_set(err, CS_EINVAL, "%s: %zu columns asked for, none given", t->name,
                            o->ncols);
    for (size_t j = 0; j < o->ncols; j++) {
        const int c = o->cols[j];
        if (c < 0 || c >= t->ncols || (t->cols[c].flags & CS_COL_HIDDEN))
            return cs_error_set(err, CS_EINVAL, "%s: no column %d", t->name, c);
    }
    return CS_OK;
}

static int alloc_state(struct cs_scan *s, const struct cs_scan_opts *o, struct cs_error *err)
{
    const size_t depth = s->pred != NULL ? cs_scan_pred_depth(s->pred) : 1;
    s->proj = malloc((o->ncols + 1) * sizeof(*s->proj));
    s->gathered = calloc(o->ncols + 1, sizeof(*s->gathered));
    // NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers
    s->outp = calloc(o->ncols + 1, sizeof(*s->outp));
    s->truth = malloc(CS_VECTOR_SIZE);
    s->scratch = malloc(depth * CS_VECTOR_SIZE);
    if (s->proj == NULL || s->gathered == NULL || s->outp == NULL || s->truth == NULL ||
        s->scratch == NULL)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    s->nproj = o->ncols;
    for (size_t j = 0; j < o->ncols; j++) {
        s->proj[j] = o->cols[j];
        s->in_proj[o->cols[j]] = true;
        cs_col_init(&s->gathered[j], cs_scan_col_kind(&s->t->cols[o->cols[j]]));
    }
    for (int c = 0; c < s->t->ncols; c++)
        cs_col_init(&s->dec[c], cs_scan_col_kind(&s->t->cols[c]));
    cs_col_init(&s->raw16, CS_K_FIX16);
    if (s->pred != NULL) {
        cs_scan_pred_cols(s->pred, s->in_pred);
        s->leaves = cs_scan_pred_leaves(s->pred);
    }
    return CS_OK;
}

int cs_scan_open(struct cs_snap *snap,
                 const struct cs_table_def *t,
                 const struct cs_scan_opts *o,
                 struct cs_scan **out,
                 struct cs_error *err)
{
    *out = NULL;
    int rc = check_proj(t, o, err);
    if (rc == CS_OK && o->pred != NULL) rc = cs_scan_pred_check(t, o->pred, err);
    if (rc != CS_OK) return rc;
    struct cs_scan *s = calloc(1, sizeof(*s));
    if (s == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
    s->snap = snap;
    s->t = t;
    s->pred = o->pred;
    rc = alloc_state(s, o, err);
    if (rc == CS_OK) rc = choose_parts(s, o, err);
    if (rc != CS_OK) {
        cs_scan_close(s);
        return rc;
    }
    *out = s;
    return CS_OK;
}

void cs_scan_close(struct cs_scan *s)
{
    if (s == NULL) return;
    for (int c = 0; c < CS_MAX_COLS; c++)
        cs_col_free(&s->dec[c]);
    cs_col_free(&s->raw16);
    for (size_t j = 0; s->gathered != NULL && j < s->nproj; j++)
        cs_col_free(&s->gathered[j]);
    free(s->gathered);
    free(s->outp);
    free(s->proj);
    free(s->kept);
    free(s->truth);
    free(s->scratch);
    free(s->sel);
    free(s);
}

size_t cs_scan_kept(const struct cs_scan *s)
{
    return s->nkept;
}

size_t cs_scan_kept_part(const struct cs_scan *s, size_t k)
{
    return k < s->nkept ? s->kept[k] : SIZE_MAX;
}

void cs_scan_stats(const struct cs_scan *s, struct cs_scan_stats *out)
{
    *out = s->stats;
}

/* ---- reading one partition ---- */

/* hex_col() - the 16-byte hashes of raw as 32-digit hex text in out. */
static int hex_col(const struct cs_col *raw, struct cs_col *out, struct cs_error *err)
{
    cs_col_reset(out);
    if (!cs_col_reserve(out, raw->len, raw->len * 32))
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t i = 0; i < raw->len; i++) {
        char buf[CS_FMT_MAX];
        const bool null = cs_col_is_null(raw, i);
        const size_t n = null ? 0 : cs_fmt_hash16(buf, raw->fix16 + 16 * i);
        if (!(null ? cs_col_push_null(out) : cs_col_push_str(out, buf, n)))
            return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    return CS_OK;
}

static int decode(struct cs_scan *s, size_t part, int col, size_t rows, struct cs_error *err)
{
    const struct cs_table_def *t = s->t;
    const bool hash = t->cols[col].type == CS_TY_HASH16;
    struct cs_col *into = hash ? &s->raw16 : &s->dec[col];
    int rc = cs_snap_read_col(s->snap, t->id, part, col, into, err);
    if (rc == CS_OK && hash) rc = hex_col(&s->raw16, &s->dec[col], err);
    if (rc != CS_OK) return rc;
    s->stats.columns_decoded++;
    if (s->dec[col].len != rows)
        return cs_error_set(err, CS_ECORRUPT, "%s: partition %zu: column %s has %zu rows, not %zu",
                            t->name, part, t->cols[col].name, s->dec[col].len, rows);
    return CS_OK;
}

/* select_rows() - s->sel = the rows of the partition where the predicate is TRUE. */
static int select_rows(struct cs_scan *s, size_t rows, size_t *nsel, struct cs_error *err)
{
    if (rows > s->sel_cap) {
        uint32_t *p = realloc(s->sel, rows * sizeof(*p));
        if (p == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
        s->sel = p;
        s->sel_cap = rows;
    }
    const struct cs_col *cols[CS_MAX_COLS];
    for (int c = 0; c < CS_MAX_COLS; c++)
        cols[c] = &s->dec[c];
    size_t k = 0;
    for (size_t from = 0; from < rows; from += CS_VECTOR_SIZE) {
        const size_t n = rows - from < CS_VECTOR_SIZE ? rows - from : CS_VECTOR_SIZE;
        cs_scan_pred_eval(s->pred, cols, from, n, s->truth, s->scratch);
        for (size_t i = 0; i < n; i++) {
            s->sel[k] = (uint32_t)(from + i);
            k += s->truth[i] == CS_TRUE;
        }
    }
    s->stats.predicates += s->leaves * rows;
    *nsel = k;
    return CS_OK;
}

static bool
gather_nulls(struct cs_col *dst, const struct cs_col *src, const uint32_t *sel, size_t n)
{
    if (src->nulls == NULL) return true;
    size_t nulls = 0;
    for (size_t j = 0; j < n; j++)
        nulls += src->nulls[sel[j]];
    if (nulls == 0) return true;
    dst->nulls = malloc(dst->cap ? dst->cap : 1);
    if (dst->nulls == NULL) return false;
    for (size_t j = 0; j < n; j++)
        dst->nulls[j] = src->nulls[sel[j]];
    dst->null_count = nulls;
    return true;
}

/* gather() - dst = rows sel[0..n) of src. */
static bool gather(struct cs_col *dst, const struct cs_col *src, const uint32_t *sel, size_t n)
{
    cs_col_reset(dst);
    size_t bytes = 0;
    if (src->kind == CS_K_STR) {
        for (size_t j = 0; j < n; j++)
            bytes += (size_t)(src->off[sel[j] + 1] - src->off[sel[j]]);
    }
    if (!cs_col_reserve(dst, n, bytes)) return false;
    switch (src->kind) {
    case CS_K_I64:
        for (size_t j = 0; j < n; j++)
            dst->i64[j] = src->i64[sel[j]];
        break;
    case CS_K_BOOL:
        for (size_t j = 0; j < n; j++)
            dst->b8[j] = src->b8[sel[j]];
        break;
    case CS_K_STR: {
        uint64_t at = 0;
        dst->off[0] = 0;
        for (size_t j = 0; j < n; j++) {
            const uint64_t a = src->off[sel[j]], len = src->off[sel[j] + 1] - a;
            if (len > 0) memcpy(dst->data + at, src->data + a, (size_t)len);
            at += len;
            dst->off[j + 1] = at;
        }
        dst->data_len = (size_t)at;
        break;
    }
    default:
        return false;
    }
    dst->len = n;
    return gather_nulls(dst, src, sel, n);
}

static int read_part(struct cs_scan *s, size_t part, size_t *nsel, struct cs_error *err)
{
    const struct cs_part_info info = cs_snap_part(s->snap, s->t->id, part);
    const size_t rows = info.rows;
    int rc = CS_OK;
    for (int c = 0; c < s->t->ncols && rc == CS_OK; c++) {
        if (s->in_pred[c]) rc = decode(s, part, c, rows, err);
    }
    if (rc != CS_OK) return rc;
    s->stats.parts_scanned++;
    s->stats.rows_scanned += rows;
    *nsel = rows;
    if (s->pred != NULL) rc = select_rows(s, rows, nsel, err);
    if (rc != CS_OK || *nsel == 0) return rc;
    for (int c = 0; c < s->t->ncols && rc == CS_OK; c++) {
        if (s->in_proj[c] && !s->in_pred[c]) rc = decode(s, part, c, rows, err);
    }
    for (size_t j = 0; j < s->nproj && rc == CS_OK; j++) {
        const struct cs_col *src = &s->dec[s->proj[j]];
        if (*nsel == rows) {
            s->outp[j] = src;
        } else if (!gather(&s->gathered[j], src, s->sel, *nsel)) {
            rc = cs_error_set(err, CS_ENOMEM, "out of memory");
        } else {
            s->outp[j] = &s->gathered[j];
        }
    }
    return rc;
}

int cs_scan_next(struct cs_scan *s, const struct cs_scan_batch **out, struct cs_error *err)
{
    *out = NULL;
    while (s->next < s->nkept) {
        const size_t part = s->kept[s->next++];
        size_t nsel = 0;
        const int rc = read_part(s, part, &nsel, err);
        if (rc != CS_OK) return rc;
        if (nsel == 0) continue;
        s->stats.rows_returned += nsel;
        s->batch = (struct cs_scan_batch){nsel, cs_snap_part(s->snap, s->t->id, part).time_key,
                                          part, s->nproj, s->outp};
        *out = &s->batch;
        return CS_OK;
    }
    return CS_OK;
}
