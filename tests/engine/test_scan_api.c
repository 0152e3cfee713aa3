/*
 * The public scan API against `colquery dump` (colstore_dump), the oracle the differential
 * suite checks against PostgreSQL: every table of a colgen warehouse (its awkward values:
 * quotes, tabs, newlines, UTF-8, NULL-heavy columns, text[] with NULL and quoted elements,
 * jsonb) scanned through colstore_scan_* and through the Arrow C Stream, each value rendered
 * as COPY text, must equal the dump line for line. Also: random typed predicates (numeric
 * constants of any scale against integer and numeric columns, BETWEEN, IN with NULL, IS
 * TRUE/FALSE, text on query_hash) against a brute-force filter of the unfiltered scan;
 * projections, time_key bounds, partition ranges; snapshots pinned across a commit and opened
 * by version; the catalog; bad arguments.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <unistd.h>

#include "engine/colstore.h"
#include "storage/base/pgtext.h"

/* ---- a colgen warehouse, loaded once per test ---- */

static char gen_dir[64];
static colstore_store *store;

static void load_warehouse(void)
{
    snprintf(gen_dir, sizeof(gen_dir), "/tmp/cs_scan_api_XXXXXX");
    cr_assert_not_null(mkdtemp(gen_dir));
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "%s/tools/colgen --out %s/exp --rows 6000 --seed 5 --start 2025-02-20 --days 24 "
             "--format text > /dev/null",
             CS_BINARY_DIR, gen_dir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    char path[256];
    snprintf(path, sizeof(path), "%s/store", gen_dir);
    colstore_error err;
    cr_assert_eq(colstore_open(path, COLSTORE_WRITABLE | COLSTORE_CREATE, &store, &err),
                 COLSTORE_OK, "%s", err.message);
    static const char *const order[] = {"dim_agent",    "dim_time",         "dim_conversation",
                                        "dim_user",     "fact_agent_query", "fact_approval",
                                        "fact_training"};
    for (size_t i = 0; i < 7; i++) {
        snprintf(path, sizeof(path), "%s/exp/%s.copy", gen_dir, order[i]);
        cr_assert_eq(colstore_load_path(store, order[i], path, NULL, NULL, &err), COLSTORE_OK, "%s",
                     err.message);
    }
}

static void drop_warehouse(void)
{
    colstore_close(store);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", gen_dir);
    cr_assert_eq(system(cmd), 0);
}

/* ---- lines of text ---- */

struct lines {
    char **v;
    size_t n, cap;
};

static void lines_add(struct lines *l, const char *s, size_t n)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 1024;
        l->v = realloc(l->v, l->cap * sizeof(*l->v));
        cr_assert_not_null(l->v);
    }
    l->v[l->n] = strndup(s, n);
    cr_assert_not_null(l->v[l->n]);
    l->n++;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void lines_free(struct lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

/* The dump's lines, sorted (scans return partitions in time order; the dump orders by key). */
static struct lines dump_lines(const char *table)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    colstore_error err;
    cr_assert_eq(colstore_dump(store, table, COLSTORE_FORMAT_TEXT, f, &err), COLSTORE_OK, "%s",
                 err.message);
    fclose(f);
    struct lines l = {0};
    for (char *p = buf, *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
        lines_add(&l, p, (size_t)(nl - p));
    free(buf);
    qsort(l.v, l.n, sizeof(*l.v), cmp_str);
    return l;
}

static void compare_lines(const char *table, const char *how, struct lines *got)
{
    struct lines want = dump_lines(table);
    qsort(got->v, got->n, sizeof(*got->v), cmp_str);
    cr_assert_gt(want.n, 0, "%s: empty dump", table);
    cr_assert_eq(got->n, want.n, "%s (%s): %zu rows, dump has %zu", table, how, got->n, want.n);
    for (size_t i = 0; i < want.n; i++)
        cr_assert_str_eq(got->v[i], want.v[i], "%s (%s): row %zu", table, how, i);
    lines_free(&want);
}

/* COPY text escaping of one value. */
static void put_escaped(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        case '\b':
            fputs("\\b", f);
            break;
        case '\f':
            fputs("\\f", f);
            break;
        case '\v':
            fputs("\\v", f);
            break;
        default:
            fputc(s[i], f);
        }
    }
}

static void put_fixed(FILE *f, int type, int scale, int64_t v)
{
    char buf[CS_FMT_MAX];
    size_t n;
    switch (type) {
    case COLSTORE_TYPE_NUMERIC:
        n = cs_fmt_numeric(buf, v, scale);
        break;
    case COLSTORE_TYPE_DATE:
        n = cs_fmt_date(buf, v);
        break;
    case COLSTORE_TYPE_TIMESTAMP:
        n = cs_fmt_timestamptz(buf, v);
        break;
    default:
        n = cs_fmt_int(buf, v);
        break;
    }
    fwrite(buf, 1, n, f);
}

/* ---- every table through colstore_scan ---- */

static void render_batch(const colstore_batch *b, struct lines *out)
{
    const size_t nc = colstore_batch_columns(b);
    colstore_column_data cd[32];
    colstore_error err;
    for (size_t j = 0; j < nc; j++) {
        cd[j] = (colstore_column_data)COLSTORE_COLUMN_DATA_INIT;
        cr_assert_eq(colstore_batch_column(b, j, &cd[j], &err), COLSTORE_OK, "%s", err.message);
        cr_assert_eq(cd[j].rows, colstore_batch_rows(b));
    }
    for (size_t r = 0; r < colstore_batch_rows(b); r++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        for (size_t j = 0; j < nc; j++) {
            if (j > 0) fputc('\t', f);
            if (cd[j].nulls != NULL && cd[j].nulls[r]) {
                fputs("\\N", f);
            } else if (cd[j].type == COLSTORE_TYPE_BOOL) {
                fputc(cd[j].bools[r] ? 't' : 'f', f);
            } else if (cd[j].offsets != NULL) {
                put_escaped(f, cd[j].data + cd[j].offsets[r],
                            (size_t)(cd[j].offsets[r + 1] - cd[j].offsets[r]));
            } else {
                put_fixed(f, cd[j].type, cd[j].scale, cd[j].values[r]);
            }
        }
        fclose(f);
        lines_add(out, buf, len);
        free(buf);
    }
}

Test(scan_api, every_table_equals_dump, .init = load_warehouse, .fini = drop_warehouse)
{
    colstore_error err;
    colstore_snapshot *snap = NULL;
    cr_assert_eq(colstore_snapshot_open(store, &snap, &err), COLSTORE_OK, "%s", err.message);
    for (size_t t = 0; t < colstore_table_count(); t++) {
        const char *name = colstore_table_name(t);
        colstore_scan *s = NULL;
        cr_assert_eq(colstore_scan_open(snap, name, NULL, &s, &err), COLSTORE_OK, "%s",
                     err.message);
        struct lines got = {0};
        const colstore_batch *b = NULL;
        int32_t prev_tk = -1;
        while (colstore_scan_next(s, &b, &err) == COLSTORE_OK && b != NULL) {
            cr_assert_gt(colstore_batch_time_key(b), prev_tk, "partitions in time_key order");
            prev_tk = colstore_batch_time_key(b);
            render_batch(b, &got);
        }
        cr_assert_eq(err.code, COLSTORE_OK, "%s", err.message);
        colstore_table_info ti = COLSTORE_TABLE_INFO_INIT;
        cr_assert_eq(colstore_table_describe(snap, name, &ti, &err), COLSTORE_OK);
        cr_assert_eq(ti.rows, got.n, "%s: catalog rows", name);
        colstore_scan_stats st = COLSTORE_SCAN_STATS_INIT;
        cr_assert_eq(colstore_scan_get_stats(s, &st, &err), COLSTORE_OK);
        cr_assert_eq(st.rows_returned, got.n);
        cr_assert_eq(st.partitions_scanned, ti.partitions);
        cr_assert_eq(st.columns_decoded, ti.partitions * ti.columns);
        colstore_scan_close(s);
        compare_lines(name, "scan", &got);
        lines_free(&got);
    }
    colstore_snapshot_close(snap);
}

/* ---- every table through the Arrow C Stream ---- */

static bool arrow_valid(const struct ArrowArray *a, int64_t i)
{
    const uint8_t *v = a->buffers[0];
    return v == NULL || ((v[i / 8] >> (i % 8)) & 1);
}

/* An element of text[] as array_out prints it. */
static void put_array_element(FILE *f, const char *s, size_t n)
{
    bool quote = n == 0 || (n == 4 && strncasecmp(s, "null", 4) == 0);
    for (size_t i = 0; i < n && !quote; i++)
        quote = strchr("{},\"\\ \t\n\r\v\f", s[i]) != NULL;
    if (!quote) {
        fwrite(s, 1, n, f);
        return;
    }
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\') fputc('\\', f);
        fputc(s[i], f);
    }
    fputc('"', f);
}

static void
put_arrow_value(FILE *f, const struct ArrowSchema *s, const struct ArrowArray *a, int64_t r)
{
    if (!arrow_valid(a, r)) {
        fputs("\\N", f);
        return;
    }
    const char *fmt = s->format;
    if (strcmp(fmt, "u") == 0) {
        const int32_t *off = a->buffers[1];
        put_escaped(f, (const char *)a->buffers[2] + off[r], (size_t)(off[r + 1] - off[r]));
    } else if (strcmp(fmt, "b") == 0) {
        fputc(((const uint8_t *)a->buffers[1])[r / 8] >> (r % 8) & 1 ? 't' : 'f', f);
    } else if (strcmp(fmt, "i") == 0) {
        put_fixed(f, COLSTORE_TYPE_INTEGER, 0, ((const int32_t *)a->buffers[1])[r]);
    } else if (strcmp(fmt, "l") == 0) {
        put_fixed(f, COLSTORE_TYPE_BIGINT, 0, ((const int64_t *)a->buffers[1])[r]);
    } else if (strcmp(fmt, "tdD") == 0) {
        put_fixed(f, COLSTORE_TYPE_DATE, 0, ((const int32_t *)a->buffers[1])[r]);
    } else if (strcmp(fmt, "tsu:UTC") == 0) {
        put_fixed(f, COLSTORE_TYPE_TIMESTAMP, 0, ((const int64_t *)a->buffers[1])[r]);
    } else if (strncmp(fmt, "d:", 2) == 0) {
        const int64_t *w = a->buffers[1];
        cr_assert_eq(w[2 * r + 1], w[2 * r] < 0 ? -1 : 0, "decimal128 high word");
        put_fixed(f, COLSTORE_TYPE_NUMERIC, atoi(strchr(fmt, ',') + 1), w[2 * r]);
    } else {
        cr_assert_str_eq(fmt, "+l");
        const int32_t *lo = a->buffers[1];
        const struct ArrowArray *e = a->children[0];
        const int32_t *eo = e->buffers[1];
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        fputc('{', m);
        for (int32_t k = lo[r]; k < lo[r + 1]; k++) {
            if (k > lo[r]) fputc(',', m);
            if (!arrow_valid(e, k))
                fputs("NULL", m);
            else
                put_array_element(m, (const char *)e->buffers[2] + eo[k],
                                  (size_t)(eo[k + 1] - eo[k]));
        }
        fputc('}', m);
        fclose(m);
        put_escaped(f, buf, len);
        free(buf);
    }
}

Test(scan_api,
     every_table_through_arrow_equals_dump,
     .init = load_warehouse,
     .fini = drop_warehouse)
{
    colstore_error err;
    colstore_snapshot *snap = NULL;
    cr_assert_eq(colstore_snapshot_open(store, &snap, &err), COLSTORE_OK, "%s", err.message);
    bool saw_list_null = false, saw_json = false;
    for (size_t t = 0; t < colstore_table_count(); t++) {
        const char *name = colstore_table_name(t);
        struct ArrowArrayStream st;
        cr_assert_eq(colstore_scan_arrow(snap, name, NULL, &st, &err), COLSTORE_OK, "%s",
                     err.message);
        colstore_snapshot_close(t + 1 == colstore_table_count() ? snap
                                                                : NULL); /* stream keeps it */
        struct ArrowSchema sc;
        cr_assert_eq(st.get_schema(&st, &sc), 0);
        cr_assert_str_eq(sc.format, "+s");
        for (int64_t j = 0; j < sc.n_children; j++) {
            if (sc.children[j]->metadata != NULL) {
                const char *m = sc.children[j]->metadata; /* int32 count, key, value, ... */
                int32_t klen, vlen;
                memcpy(&klen, m + 4, 4);
                memcpy(&vlen, m + 8 + klen, 4);
                cr_assert(klen == 20 && memcmp(m + 8, "ARROW:extension:name", 20) == 0);
                cr_assert(vlen == 10 && memcmp(m + 12 + klen, "arrow.json", 10) == 0);
                saw_json = true;
            }
        }
        struct lines got = {0};
        for (;;) {
            struct ArrowArray a;
            cr_assert_eq(st.get_next(&st, &a), 0, "%s", st.get_last_error(&st));
            if (a.release == NULL) break;
            cr_assert_eq(a.n_children, sc.n_children);
            for (int64_t r = 0; r < a.length; r++) {
                char *buf = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&buf, &len);
                for (int64_t j = 0; j < a.n_children; j++) {
                    if (j > 0) fputc('\t', f);
                    cr_assert_eq(a.children[j]->length, a.length);
                    put_arrow_value(f, sc.children[j], a.children[j], r);
                    if (strcmp(sc.children[j]->format, "+l") == 0 &&
                        a.children[j]->children[0]->null_count > 0)
                        saw_list_null = true;
                }
                fclose(f);
                lines_add(&got, buf, len);
                free(buf);
            }
            a.release(&a);
        }
        sc.release(&sc);
        st.release(&st);
        compare_lines(name, "arrow", &got);
        lines_free(&got);
    }
    cr_assert(saw_list_null, "colgen's labels hold NULL elements");
    cr_assert(saw_json);
}

/* ---- predicates through the API vs a brute-force filter ---- */

static uint64_t rng = 99;
static uint32_t rnd(uint32_t n)
{
    rng = rng * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)((rng >> 33) % n);
}

/* The whole table as column data (one batch per partition, all columns). */
struct table_data {
    size_t ncols, rows;
    colstore_column_info info[32];
    struct {
        uint8_t *null;
        int64_t *v;
        char **s;
        size_t *len;
    } col[32];
};

static void load_table(colstore_snapshot *snap, const char *name, struct table_data *td)
{
    colstore_error err;
    colstore_table_info ti = COLSTORE_TABLE_INFO_INIT;
    cr_assert_eq(colstore_table_describe(snap, name, &ti, &err), COLSTORE_OK);
    td->ncols = ti.columns;
    td->rows = 0;
    for (size_t j = 0; j < td->ncols; j++) {
        td->info[j] = (colstore_column_info)COLSTORE_COLUMN_INFO_INIT;
        cr_assert_eq(colstore_column_describe(name, j, &td->info[j], &err), COLSTORE_OK);
        td->col[j].null = calloc(ti.rows + 1, 1);
        td->col[j].v = calloc(ti.rows + 1, 8);
        td->col[j].s = calloc(ti.rows + 1, sizeof(char *));
        td->col[j].len = calloc(ti.rows + 1, sizeof(size_t));
    }
    colstore_scan *s = NULL;
    cr_assert_eq(colstore_scan_open(snap, name, NULL, &s, &err), COLSTORE_OK);
    const colstore_batch *b;
    while (colstore_scan_next(s, &b, &err) == COLSTORE_OK && b != NULL) {
        for (size_t j = 0; j < td->ncols; j++) {
            colstore_column_data cd = COLSTORE_COLUMN_DATA_INIT;
            cr_assert_eq(colstore_batch_column(b, j, &cd, &err), COLSTORE_OK);
            for (size_t r = 0; r < cd.rows; r++) {
                const size_t at = td->rows + r;
                td->col[j].null[at] = cd.nulls != NULL && cd.nulls[r];
                if (cd.values != NULL) td->col[j].v[at] = cd.values[r];
                if (cd.bools != NULL) td->col[j].v[at] = cd.bools[r];
                if (cd.offsets != NULL) {
                    td->col[j].len[at] = (size_t)(cd.offsets[r + 1] - cd.offsets[r]);
                    td->col[j].s[at] = strndup(cd.data + cd.offsets[r], td->col[j].len[at]);
                }
            }
        }
        td->rows += colstore_batch_rows(b);
    }
    colstore_scan_close(s);
}

static void free_table(struct table_data *td)
{
    for (size_t j = 0; j < td->ncols; j++) {
        for (size_t r = 0; r < td->rows; r++)
            free(td->col[j].s[r]);
        free(td->col[j].s);
        free(td->col[j].len);
        free(td->col[j].v);
        free(td->col[j].null);
    }
}

__extension__ typedef __int128 i128;

static i128 p10(int e)
{
    i128 r = 1;
    while (e-- > 0)
        r *= 10;
    return r;
}

/* Compare row r of column c with constant v: <0, 0, >0; exact for numeric of any scale. */
static int cmp_value(const struct table_data *td, size_t c, size_t r, const colstore_value *v)
{
    const colstore_column_info *ci = &td->info[c];
    if (ci->type == COLSTORE_TYPE_TEXT) {
        const size_t n = td->col[c].len[r] < v->len ? td->col[c].len[r] : v->len;
        const int x = memcmp(td->col[c].s[r], v->s, n);
        if (x != 0) return x;
        return (td->col[c].len[r] > v->len) - (td->col[c].len[r] < v->len);
    }
    const int cs = ci->scale, vs = v->type == COLSTORE_TYPE_NUMERIC ? v->scale : 0;
    const int s = cs > vs ? cs : vs;
    const i128 a = (i128)td->col[c].v[r] * p10(s - cs), b = (i128)v->i * p10(s - vs);
    return (a > b) - (a < b);
}

/* 0 false, 1 unknown, 2 true */
static int brute(const struct table_data *td, const colstore_pred *p, size_t r)
{
    int acc;
    switch (p->op) {
    case COLSTORE_OP_TRUE:
        return 2;
    case COLSTORE_OP_FALSE:
        return 0;
    case COLSTORE_OP_NOT:
        return 2 - brute(td, &p->args[0], r);
    case COLSTORE_OP_AND:
    case COLSTORE_OP_OR:
        acc = p->op == COLSTORE_OP_AND ? 2 : 0;
        for (size_t i = 0; i < p->nargs; i++) {
            const int x = brute(td, &p->args[i], r);
            acc = p->op == COLSTORE_OP_AND ? (x < acc ? x : acc) : (x > acc ? x : acc);
        }
        return acc;
    default:
        break;
    }
    const bool null = td->col[p->column].null[r];
    switch (p->op) {
    case COLSTORE_OP_IS_NULL:
        return null ? 2 : 0;
    case COLSTORE_OP_IS_NOT_NULL:
        return null ? 0 : 2;
    case COLSTORE_OP_IS_TRUE:
        return !null && td->col[p->column].v[r] ? 2 : 0;
    case COLSTORE_OP_IS_FALSE:
        return !null && !td->col[p->column].v[r] ? 2 : 0;
    default:
        break;
    }
    if (null) return 1;
    if (p->op == COLSTORE_OP_BOOL) return td->col[p->column].v[r] ? 2 : 0;
    if (p->op == COLSTORE_OP_IN) {
        bool saw_null = false;
        for (size_t i = 0; i < p->nvalues; i++) {
            if (p->values[i].type == COLSTORE_TYPE_NULL)
                saw_null = true;
            else if (cmp_value(td, p->column, r, &p->values[i]) == 0)
                return 2;
        }
        return saw_null ? 1 : 0;
    }
    if (p->op == COLSTORE_OP_BETWEEN) {
        if (p->value.type == COLSTORE_TYPE_NULL || p->value2.type == COLSTORE_TYPE_NULL) {
            /* NULL AND x: false wins */
            const bool lo_false =
                p->value.type != COLSTORE_TYPE_NULL && cmp_value(td, p->column, r, &p->value) < 0;
            const bool hi_false =
                p->value2.type != COLSTORE_TYPE_NULL && cmp_value(td, p->column, r, &p->value2) > 0;
            return lo_false || hi_false ? 0 : 1;
        }
        return cmp_value(td, p->column, r, &p->value) >= 0 &&
                       cmp_value(td, p->column, r, &p->value2) <= 0
                   ? 2
                   : 0;
    }
    if (p->value.type == COLSTORE_TYPE_NULL) return 1;
    const int c = cmp_value(td, p->column, r, &p->value);
    switch (p->op) {
    case COLSTORE_OP_EQ:
        return c == 0 ? 2 : 0;
    case COLSTORE_OP_NE:
        return c != 0 ? 2 : 0;
    case COLSTORE_OP_LT:
        return c < 0 ? 2 : 0;
    case COLSTORE_OP_LE:
        return c <= 0 ? 2 : 0;
    case COLSTORE_OP_GT:
        return c > 0 ? 2 : 0;
    default:
        return c >= 0 ? 2 : 0;
    }
}

/* A constant for column c: a value of the column (some row), nudged, or NULL. */
static colstore_value rand_value(const struct table_data *td, size_t c)
{
    colstore_value v = {0};
    if (rnd(12) == 0) return v; /* NULL */
    const size_t r = rnd((uint32_t)td->rows);
    const int type = td->info[c].type;
    if (type == COLSTORE_TYPE_TEXT) {
        v.type = COLSTORE_TYPE_TEXT;
        v.s = td->col[c].s[r] != NULL ? td->col[c].s[r] : "";
        v.len = td->col[c].s[r] != NULL ? td->col[c].len[r] : 0;
        if (rnd(4) == 0) v.len = v.len / 2; /* a prefix: between values */
        return v;
    }
    v.type =
        type == COLSTORE_TYPE_INTEGER || type == COLSTORE_TYPE_BIGINT ? COLSTORE_TYPE_INT : type;
    v.i = td->col[c].v[r];
    v.scale = td->info[c].scale;
    if ((type == COLSTORE_TYPE_INTEGER || type == COLSTORE_TYPE_BIGINT ||
         type == COLSTORE_TYPE_NUMERIC) &&
        rnd(2) == 0) {
        /* the same value at a finer scale, nudged half a unit or not at all */
        const int extra = (int)rnd(4);
        v.type = COLSTORE_TYPE_NUMERIC;
        v.scale += extra;
        for (int i = 0; i < extra; i++)
            v.i *= 10;
        if (extra > 0 && rnd(2)) v.i += rnd(2) ? 5 : -5;
    } else if (rnd(4) == 0 && type != COLSTORE_TYPE_BOOL) {
        v.i += (int64_t)rnd(3) - 1;
    }
    return v;
}

static size_t pick_col(const struct table_data *td)
{
    for (;;) {
        const size_t c = rnd((uint32_t)td->ncols);
        const int t = td->info[c].type;
        if (t != COLSTORE_TYPE_JSONB && t != COLSTORE_TYPE_TEXT_ARRAY) return c;
        if (rnd(4) == 0) return c;
    }
}

/* Builds into pool (an arena of nodes and values). */
struct pool {
    colstore_pred preds[512];
    size_t np;
    colstore_value vals[512];
    size_t nv;
};

static colstore_pred *rand_pred(const struct table_data *td, struct pool *pl, int depth)
{
    colstore_pred *p = &pl->preds[pl->np++];
    memset(p, 0, sizeof(*p));
    const uint32_t k = rnd(depth > 0 ? 8 : 5);
    if (k >= 5) {
        p->op = k == 5 ? COLSTORE_OP_NOT : k == 6 ? COLSTORE_OP_AND : COLSTORE_OP_OR;
        p->nargs = p->op == COLSTORE_OP_NOT ? 1 : rnd(3) + 1;
        colstore_pred *first = NULL;
        colstore_pred tmp[3];
        for (size_t i = 0; i < p->nargs; i++)
            tmp[i] = *rand_pred(td, pl, depth - 1);
        first = &pl->preds[pl->np];
        for (size_t i = 0; i < p->nargs; i++)
            pl->preds[pl->np++] = tmp[i];
        p->args = first;
        return p;
    }
    p->column = pick_col(td);
    const int type = td->info[p->column].type;
    if (type == COLSTORE_TYPE_JSONB || type == COLSTORE_TYPE_TEXT_ARRAY) {
        p->op = rnd(2) ? COLSTORE_OP_IS_NULL : COLSTORE_OP_IS_NOT_NULL;
        return p;
    }
    if (type == COLSTORE_TYPE_BOOL && rnd(2)) {
        static const int bops[] = {COLSTORE_OP_BOOL, COLSTORE_OP_IS_TRUE, COLSTORE_OP_IS_FALSE};
        p->op = bops[rnd(3)];
        return p;
    }
    const uint32_t o = rnd(12);
    if (o < 6) {
        p->op = COLSTORE_OP_EQ + (int)o;
        p->value = rand_value(td, p->column);
    } else if (o < 8) {
        p->op = COLSTORE_OP_BETWEEN;
        p->value = rand_value(td, p->column);
        p->value2 = rand_value(td, p->column);
    } else if (o < 10) {
        p->op = COLSTORE_OP_IN;
        p->nvalues = rnd(4) + 1;
        p->values = &pl->vals[pl->nv];
        for (size_t i = 0; i < p->nvalues; i++)
            pl->vals[pl->nv++] = rand_value(td, p->column);
    } else {
        p->op = o == 10 ? COLSTORE_OP_IS_NULL : COLSTORE_OP_IS_NOT_NULL;
    }
    return p;
}

static void dump_pred(const colstore_pred *p, int ind)
{
    fprintf(stderr, "%*sop=%d col=%zu v=(t%d s%d i%lld '%.*s') v2=(t%d s%d i%lld) n=%zu\n", ind, "",
            p->op, p->column, p->value.type, p->value.scale, (long long)p->value.i,
            (int)p->value.len, p->value.s ? p->value.s : "", p->value2.type, p->value2.scale,
            (long long)p->value2.i, p->nvalues);
    for (size_t i = 0; i < p->nvalues; i++)
        fprintf(stderr, "%*s  in t%d s%d i%lld\n", ind, "", p->values[i].type, p->values[i].scale,
                (long long)p->values[i].i);
    for (size_t i = 0; i < p->nargs; i++)
        dump_pred(&p->args[i], ind + 2);
}

Test(scan_api,
     random_typed_predicates_equal_brute_force,
     .init = load_warehouse,
     .fini = drop_warehouse)
{
    colstore_error err;
    colstore_snapshot *snap = NULL;
    cr_assert_eq(colstore_snapshot_open(store, &snap, &err), COLSTORE_OK, "%s", err.message);
    struct pool *pl = malloc(sizeof(*pl));
    size_t total_hits = 0;
    for (size_t t = 0; t < colstore_table_count(); t++) {
        const char *name = colstore_table_name(t);
        struct table_data *td = calloc(1, sizeof(*td));
        load_table(snap, name, td);
        for (int it = 0; it < 150; it++) {
            pl->np = pl->nv = 0;
            const colstore_pred *pred = rand_pred(td, pl, 2);
            size_t key = 0;
            colstore_scan_options o = COLSTORE_SCAN_OPTIONS_INIT;
            o.where = pred;
            o.columns = &key; /* the row's position is its key's; keys are unique */
            o.ncolumns = 0;
            colstore_scan *s = NULL;
            cr_assert_eq(colstore_scan_open(snap, name, &o, &s, &err), COLSTORE_OK,
                         "%s iteration %d: %s", name, it, err.message);
            size_t want = 0;
            for (size_t r = 0; r < td->rows; r++)
                want += brute(td, pred, r) == 2;
            size_t got = 0;
            const colstore_batch *b;
            while (colstore_scan_next(s, &b, &err) == COLSTORE_OK && b != NULL)
                got += colstore_batch_rows(b);
            if (got != want) dump_pred(pred, 0);
            cr_assert_eq(got, want, "%s iteration %d: %zu rows, brute force %zu", name, it, got,
                         want);
            total_hits += got;
            colstore_scan_close(s);
        }
        free_table(td);
        free(td);
    }
    cr_assert_gt(total_hits, 1000);
    free(pl);
    colstore_snapshot_close(snap);
}

/* ---- projections, bounds, ranges, statistics ---- */

Test(scan_api, projection_bounds_and_partitions, .init = load_warehouse, .fini = drop_warehouse)
{
    colstore_error err;
    colstore_snapshot *snap = NULL;
    cr_assert_eq(colstore_snapshot_open(store, &snap, &err), COLSTORE_OK);
    size_t lat = 0, key = 0, tk = 0;
    cr_assert_eq(colstore_column_index("fact_agent_query", "latency_ms", &lat, &err), COLSTORE_OK);
    cr_assert_eq(colstore_column_index("fact_agent_query", "query_key", &key, &err), COLSTORE_OK);
    cr_assert_eq(colstore_column_index("fact_agent_query", "time_key", &tk, &err), COLSTORE_OK);
    cr_assert_eq(colstore_column_index("fact_agent_query", "latency", &lat, &err), COLSTORE_EINVAL);
    cr_assert(strstr(err.message, "latency_ms") != NULL, "%s", err.message);
    colstore_table_info ti = COLSTORE_TABLE_INFO_INIT;
    cr_assert_eq(colstore_table_describe(snap, "fact_agent_query", &ti, &err), COLSTORE_OK);
    cr_assert_eq(ti.time_column, tk);
    cr_assert_eq(ti.key_columns, 1);
    cr_assert_eq(ti.key[0], key);
    cr_assert_geq(ti.partitions, 20);

    /* latency_ms and time_key, days 3..7 (time_key bounds), partitions [2, 12) */
    colstore_partition_info p3 = COLSTORE_PARTITION_INFO_INIT, p7 = COLSTORE_PARTITION_INFO_INIT;
    cr_assert_eq(colstore_partition_describe(snap, "fact_agent_query", 3, &p3, &err), COLSTORE_OK);
    cr_assert_eq(colstore_partition_describe(snap, "fact_agent_query", 7, &p7, &err), COLSTORE_OK);
    const size_t cols[] = {lat, tk, lat};
    colstore_scan_options o = COLSTORE_SCAN_OPTIONS_INIT;
    o.columns = cols;
    o.ncolumns = 3;
    o.time_key_min = p3.time_key;
    o.time_key_max = p7.time_key;
    o.first_partition = 2;
    o.partition_count = 10;
    colstore_scan *s = NULL;
    cr_assert_eq(colstore_scan_open(snap, "fact_agent_query", &o, &s, &err), COLSTORE_OK, "%s",
                 err.message);
    cr_assert_eq(colstore_scan_partitions(s), 5);
    cr_assert_eq(colstore_scan_partition(s, 0), 3);
    uint64_t rows = 0;
    const colstore_batch *b;
    size_t k = 0;
    while (colstore_scan_next(s, &b, &err) == COLSTORE_OK && b != NULL) {
        cr_assert_eq(colstore_batch_columns(b), 3);
        cr_assert_eq(colstore_batch_partition(b), 3 + k);
        colstore_partition_info pi = COLSTORE_PARTITION_INFO_INIT;
        cr_assert_eq(colstore_partition_describe(snap, "fact_agent_query", 3 + k, &pi, &err),
                     COLSTORE_OK);
        cr_assert_eq(colstore_batch_rows(b), pi.rows);
        colstore_column_data a = COLSTORE_COLUMN_DATA_INIT, t = COLSTORE_COLUMN_DATA_INIT,
                             a2 = COLSTORE_COLUMN_DATA_INIT;
        cr_assert_eq(colstore_batch_column(b, 0, &a, &err), COLSTORE_OK);
        cr_assert_eq(colstore_batch_column(b, 1, &t, &err), COLSTORE_OK);
        cr_assert_eq(colstore_batch_column(b, 2, &a2, &err), COLSTORE_OK);
        cr_assert_eq(colstore_batch_column(b, 3, &a2, &err), COLSTORE_EINVAL);
        cr_assert_eq(a.type, COLSTORE_TYPE_INTEGER);
        cr_assert_eq(t.values[0], pi.time_key);
        cr_assert_eq(t.values[colstore_batch_rows(b) - 1], colstore_batch_time_key(b));
        cr_assert_eq(memcmp(a.values, a2.values, pi.rows * 8), 0);
        rows += pi.rows;
        k++;
    }
    cr_assert_eq(k, 5);
    colstore_scan_stats st = COLSTORE_SCAN_STATS_INIT;
    cr_assert_eq(colstore_scan_get_stats(s, &st, &err), COLSTORE_OK);
    cr_assert_eq(st.partitions_total, ti.partitions);
    cr_assert_eq(st.partitions_out_of_range, ti.partitions - 10);
    cr_assert_eq(st.partitions_pruned_time, 5); /* 2, and 8..11 */
    cr_assert_eq(st.rows_returned, rows);
    cr_assert_eq(st.columns_decoded, 2 * 5);
    colstore_scan_close(s);

    /* no column at all: rows only (count(*)) */
    o = (colstore_scan_options)COLSTORE_SCAN_OPTIONS_INIT;
    o.columns = cols;
    o.ncolumns = 0;
    cr_assert_eq(colstore_scan_open(snap, "fact_agent_query", &o, &s, &err), COLSTORE_OK);
    rows = 0;
    while (colstore_scan_next(s, &b, &err) == COLSTORE_OK && b != NULL)
        rows += colstore_batch_rows(b);
    cr_assert_eq(rows, ti.rows);
    cr_assert_eq(colstore_scan_get_stats(s, &st, &err), COLSTORE_OK);
    cr_assert_eq(st.columns_decoded, 0);
    colstore_scan_close(s);

    /* a shorter options struct (an older caller): fields past `size` take their defaults */
    o = (colstore_scan_options)COLSTORE_SCAN_OPTIONS_INIT;
    o.columns = cols;
    o.ncolumns = 1;
    o.time_key_min = p7.time_key; /* beyond the size given: ignored */
    o.size = offsetof(colstore_scan_options, where);
    cr_assert_eq(colstore_scan_open(snap, "fact_agent_query", &o, &s, &err), COLSTORE_OK);
    cr_assert_eq(colstore_scan_partitions(s), ti.partitions);
    colstore_scan_close(s);
    colstore_snapshot_close(snap);
}

Test(scan_api, zone_maps_prune_timestamps, .init = load_warehouse, .fini = drop_warehouse)
{
    colstore_error err;
    colstore_snapshot *snap = NULL;
    cr_assert_eq(colstore_snapshot_open(store, &snap, &err), COLSTORE_OK);
    size_t created = 0;
    cr_assert_eq(colstore_column_index("fact_approval", "created_at", &created, &err), COLSTORE_OK);
    /* created_at >= 2025-03-10 00:00 UTC AND created_at < 2025-03-12: two days of 24 */
    const int64_t day = INT64_C(86400000000);
    const int64_t d0 = (int64_t)cs_days_from_civil(2025, 3, 10) * day;
    const colstore_pred args[] = {
        {.op = COLSTORE_OP_GE,
         .column = created,
         .value = {.type = COLSTORE_TYPE_TIMESTAMP, .i = d0}},
        {.op = COLSTORE_OP_LT,
         .column = created,
         .value = {.type = COLSTORE_TYPE_TIMESTAMP, .i = d0 + 2 * day}},
    };
    const colstore_pred where = {.op = COLSTORE_OP_AND, .args = args, .nargs = 2};
    colstore_scan_options o = COLSTORE_SCAN_OPTIONS_INIT;
    o.where = &where;
    colstore_scan *s = NULL;
    cr_assert_eq(colstore_scan_open(snap, "fact_approval", &o, &s, &err), COLSTORE_OK, "%s",
                 err.message);
    cr_assert_eq(colstore_scan_partitions(s), 2);
    const colstore_batch *b;
    uint64_t rows = 0;
    while (colstore_scan_next(s, &b, &err) == COLSTORE_OK && b != NULL) {
        cr_assert(colstore_batch_time_key(b) == 20250310 || colstore_batch_time_key(b) == 20250311);
        rows += colstore_batch_rows(b);
    }
    colstore_scan_stats st = COLSTORE_SCAN_STATS_INIT;
    cr_assert_eq(colstore_scan_get_stats(s, &st, &err), COLSTORE_OK);
    cr_assert_eq(st.partitions_pruned_zone, st.partitions_total - 2);
    cr_assert_eq(st.predicates, 2 * st.rows_scanned);
    cr_assert_eq(st.rows_returned, rows);
    cr_assert_gt(rows, 0);
    colstore_scan_close(s);
    colstore_snapshot_close(snap);
}

/* ---- snapshots ---- */

Test(scan_api, snapshot_pins_a_state_across_commits, .init = load_warehouse, .fini = drop_warehouse)
{
    colstore_error err;
    colstore_snapshot *old = NULL;
    cr_assert_eq(colstore_snapshot_open(store, &old, &err), COLSTORE_OK);
    const uint64_t v = colstore_snapshot_version(old);
    colstore_table_info before = COLSTORE_TABLE_INFO_INIT;
    cr_assert_eq(colstore_table_describe(old, "dim_user", &before, &err), COLSTORE_OK);
    /* a commit: a new user */
    const char row[] = "900\tnew-user\toperator\t\\N\t2025-01-01 00:00:00+00\t\\N\tt\n";
    cr_assert_eq(
        colstore_load_buffer(store, "dim_user", row, strlen(row), "u.copy", NULL, NULL, &err),
        COLSTORE_OK, "%s", err.message);
    colstore_snapshot *now = NULL, *again = NULL;
    cr_assert_eq(colstore_snapshot_open(store, &now, &err), COLSTORE_OK);
    cr_assert_eq(colstore_snapshot_version(now), v + 1);
    /* the pinned version can still be opened by version (a parallel worker) */
    cr_assert_eq(colstore_snapshot_open_version(store, v, &again, &err), COLSTORE_OK, "%s",
                 err.message);
    colstore_table_info a = COLSTORE_TABLE_INFO_INIT, n = COLSTORE_TABLE_INFO_INIT,
                        g = COLSTORE_TABLE_INFO_INIT;
    cr_assert_eq(colstore_table_describe(old, "dim_user", &a, &err), COLSTORE_OK);
    cr_assert_eq(colstore_table_describe(now, "dim_user", &n, &err), COLSTORE_OK);
    cr_assert_eq(colstore_table_describe(again, "dim_user", &g, &err), COLSTORE_OK);
    cr_assert_eq(a.rows, before.rows);
    cr_assert_eq(g.rows, before.rows);
    cr_assert_eq(n.rows, before.rows + 1);
    /* a scan on the old snapshot, kept open after its snapshot and store are closed */
    colstore_scan *s = NULL;
    cr_assert_eq(colstore_scan_open(old, "dim_user", NULL, &s, &err), COLSTORE_OK);
    colstore_snapshot_close(old);
    colstore_snapshot_close(again);
    const colstore_batch *b = NULL;
    cr_assert_eq(colstore_scan_next(s, &b, &err), COLSTORE_OK);
    cr_assert_eq(colstore_batch_rows(b), before.rows);
    colstore_scan_close(s);
    /* no snapshot pins v any more; the next commit deletes its manifest */
    const char row2[] = "901\tnewer-user\toperator\t\\N\t2025-01-01 00:00:00+00\t\\N\tt\n";
    cr_assert_eq(
        colstore_load_buffer(store, "dim_user", row2, strlen(row2), "u.copy", NULL, NULL, &err),
        COLSTORE_OK, "%s", err.message);
    cr_assert_eq(colstore_snapshot_open_version(store, v, &again, &err), COLSTORE_EINVAL);
    cr_assert_null(again);
    cr_assert(strstr(err.message, "no longer available") != NULL, "%s", err.message);
    cr_assert_eq(colstore_snapshot_open_version(store, v + 7, &again, &err), COLSTORE_EINVAL);
    /* reports on a snapshot see its state */
    colstore_result *r = NULL;
    colstore_report_params rp = COLSTORE_REPORT_PARAMS_INIT;
    rp.from = "2025-02-20";
    rp.to = "2025-03-20";
    cr_assert_eq(colstore_snapshot_report(now, "daily-agg", &rp, &r, &err), COLSTORE_OK, "%s",
                 err.message);
    cr_assert_gt(colstore_result_rows(r), 0);
    colstore_result_free(r);
    colstore_snapshot_close(now);
}

Test(scan_api, store_closed_before_its_snapshot, .init = load_warehouse)
{
    colstore_error err;
    colstore_snapshot *snap = NULL;
    cr_assert_eq(colstore_snapshot_open(store, &snap, &err), COLSTORE_OK);
    colstore_close(store); /* the snapshot keeps it open */
    store = NULL;
    colstore_table_info ti = COLSTORE_TABLE_INFO_INIT;
    cr_assert_eq(colstore_table_describe(snap, "fact_training", &ti, &err), COLSTORE_OK);
    struct ArrowArrayStream st;
    cr_assert_eq(colstore_scan_arrow(snap, "fact_training", NULL, &st, &err), COLSTORE_OK);
    colstore_snapshot_close(snap); /* the stream keeps it */
    uint64_t rows = 0;
    for (;;) {
        struct ArrowArray a;
        cr_assert_eq(st.get_next(&st, &a), 0);
        if (a.release == NULL) break;
        rows += (uint64_t)a.length;
        a.release(&a);
    }
    st.release(&st);
    cr_assert_eq(rows, ti.rows);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", gen_dir);
    cr_assert_eq(system(cmd), 0);
}

/* ---- catalog and bad arguments ---- */

Test(scan_api, catalog_types)
{
    colstore_error err;
    cr_assert_eq(colstore_table_count(), 8);
    cr_assert_str_eq(colstore_table_name(0), "dim_agent");
    cr_assert_str_eq(colstore_table_name(7), "agg_agent_daily_performance");
    cr_assert_null(colstore_table_name(8));
    static const struct {
        const char *table, *column, *pg;
        int type, precision, scale;
        bool nullable, key, generated;
    } want[] = {
        {"dim_agent", "agent_key", "integer", COLSTORE_TYPE_INTEGER, 0, 0, false, true, false},
        {"dim_agent", "capabilities", "jsonb", COLSTORE_TYPE_JSONB, 0, 0, true, false, false},
        {"dim_agent", "cost_per_query_usd", "numeric(10,6)", COLSTORE_TYPE_NUMERIC, 10, 6, true,
         false, false},
        {"dim_agent", "valid_from", "timestamptz", COLSTORE_TYPE_TIMESTAMP, 0, 0, false, false,
         false},
        {"dim_time", "full_date", "date", COLSTORE_TYPE_DATE, 0, 0, false, false, false},
        {"dim_time", "is_weekend", "boolean", COLSTORE_TYPE_BOOL, 0, 0, false, false, false},
        {"fact_agent_query", "query_key", "bigint", COLSTORE_TYPE_BIGINT, 0, 0, false, true, false},
        {"fact_agent_query", "query_hash", "text", COLSTORE_TYPE_TEXT, 0, 0, false, false, false},
        {"fact_training", "overall_score", "numeric(3,2)", COLSTORE_TYPE_NUMERIC, 3, 2, true, false,
         true},
        {"fact_training", "labels", "text[]", COLSTORE_TYPE_TEXT_ARRAY, 0, 0, true, false, false},
        {"agg_agent_daily_performance", "p95_latency_ms", "numeric(10,2)", COLSTORE_TYPE_NUMERIC,
         10, 2, true, false, false},
        {"agg_agent_daily_performance", "sla_compliance_pct", "numeric(5,2)", COLSTORE_TYPE_NUMERIC,
         5, 2, true, false, false},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        size_t c = 0;
        cr_assert_eq(colstore_column_index(want[i].table, want[i].column, &c, &err), COLSTORE_OK);
        colstore_column_info ci = COLSTORE_COLUMN_INFO_INIT;
        cr_assert_eq(colstore_column_describe(want[i].table, c, &ci, &err), COLSTORE_OK);
        cr_assert_str_eq(ci.name, want[i].column);
        cr_assert_str_eq(ci.pg_type, want[i].pg, "%s", want[i].column);
        cr_assert_eq(ci.type, want[i].type, "%s", want[i].column);
        cr_assert_eq(ci.precision, want[i].precision);
        cr_assert_eq(ci.scale, want[i].scale);
        cr_assert_eq(ci.nullable, want[i].nullable, "%s", want[i].column);
        cr_assert_eq(ci.key, want[i].key);
        cr_assert_eq(ci.generated, want[i].generated);
    }
    /* hidden columns are not part of the API: fact tables have their DDL's 11 / 11 / 13 */
    colstore_table_info ti = COLSTORE_TABLE_INFO_INIT;
    cr_assert_eq(colstore_table_describe(NULL, "fact_training", &ti, &err), COLSTORE_OK);
    cr_assert_eq(ti.columns, 13);
    cr_assert_eq(ti.partitions, 0);
    cr_assert_eq(colstore_table_describe(NULL, "agg_agent_daily_performance", &ti, &err),
                 COLSTORE_OK);
    cr_assert_eq(ti.key_columns, 2);
    cr_assert(ti.partitioned);
    cr_assert_eq(colstore_table_describe(NULL, "dim_user", &ti, &err), COLSTORE_OK);
    cr_assert_eq(ti.time_column, COLSTORE_NO_COLUMN);
    cr_assert(!ti.partitioned);
    /* a caller that knows only the first fields */
    colstore_column_info small = COLSTORE_COLUMN_INFO_INIT;
    small.name = "untouched";
    small.type = -7;
    small.size = offsetof(colstore_column_info, type);
    cr_assert_eq(colstore_column_describe("dim_user", 0, &small, &err), COLSTORE_OK);
    cr_assert_str_eq(small.name, "user_key");
    cr_assert_eq(small.type, -7);
    small.size = 0;
    cr_assert_eq(colstore_column_describe("dim_user", 0, &small, &err), COLSTORE_EINVAL);
    cr_assert_eq(colstore_table_describe(NULL, "dim_users", &ti, &err), COLSTORE_EINVAL);
    cr_assert(strstr(err.message, "dim_user") != NULL);
    cr_assert_eq(colstore_column_describe("dim_user", 7, &small, &err), COLSTORE_EINVAL);
}

Test(scan_api, bad_scans_are_refused, .init = load_warehouse, .fini = drop_warehouse)
{
    colstore_error err;
    colstore_snapshot *snap = NULL;
    cr_assert_eq(colstore_snapshot_open(store, &snap, &err), COLSTORE_OK);
    colstore_scan *s = NULL;
    size_t labels = 0, clarity = 0, safe = 0;
    cr_assert_eq(colstore_column_index("fact_training", "labels", &labels, &err), COLSTORE_OK);
    cr_assert_eq(colstore_column_index("fact_training", "clarity_score", &clarity, &err),
                 COLSTORE_OK);
    cr_assert_eq(colstore_column_index("fact_training", "safe_to_send", &safe, &err), COLSTORE_OK);
    const colstore_value text = {.type = COLSTORE_TYPE_TEXT, .s = "x", .len = 1};
    const colstore_value date = {.type = COLSTORE_TYPE_DATE, .i = 1};
    const colstore_value scale = {.type = COLSTORE_TYPE_NUMERIC, .scale = 39, .i = 1};
    const colstore_pred bad[] = {
        {.op = COLSTORE_OP_EQ, .column = labels, .value = text},   /* text[]: IS NULL only */
        {.op = COLSTORE_OP_EQ, .column = clarity, .value = text},  /* text vs integer */
        {.op = COLSTORE_OP_LT, .column = clarity, .value = date},  /* date vs integer */
        {.op = COLSTORE_OP_LT, .column = clarity, .value = scale}, /* scale out of range */
        {.op = COLSTORE_OP_BOOL, .column = clarity},               /* not boolean */
        {.op = COLSTORE_OP_EQ, .column = 13, .value = text},       /* no such column */
        {.op = COLSTORE_OP_AND, .nargs = 0},                       /* AND of nothing */
        {.op = COLSTORE_OP_NOT, .nargs = 2, .args = bad},          /* NOT of two */
        {.op = 99},                                                /* no such operator */
        {.op = COLSTORE_OP_IN, .column = safe, .nvalues = 1, .values = &text},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        colstore_scan_options o = COLSTORE_SCAN_OPTIONS_INIT;
        o.where = &bad[i];
        cr_assert_eq(colstore_scan_open(snap, "fact_training", &o, &s, &err), COLSTORE_EINVAL,
                     "case %zu", i);
        cr_assert_null(s);
        cr_assert_neq(err.message[0], '\0');
    }
    const size_t col = 13;
    colstore_scan_options o = COLSTORE_SCAN_OPTIONS_INIT;
    o.columns = &col;
    o.ncolumns = 1;
    cr_assert_eq(colstore_scan_open(snap, "fact_training", &o, &s, &err), COLSTORE_EINVAL);
    o.size = 0;
    cr_assert_eq(colstore_scan_open(snap, "fact_training", &o, &s, &err), COLSTORE_EINVAL);
    cr_assert_eq(colstore_scan_open(snap, "fact_trainings", NULL, &s, &err), COLSTORE_EINVAL);
    cr_assert_eq(colstore_scan_open(NULL, "fact_training", NULL, &s, &err), COLSTORE_EINVAL);
    cr_assert_eq(colstore_scan_open(snap, "fact_training", NULL, NULL, &err), COLSTORE_EINVAL);
    cr_assert_eq(colstore_scan_next(NULL, NULL, &err), COLSTORE_EINVAL);
    struct ArrowArrayStream st;
    cr_assert_eq(colstore_scan_arrow(snap, "nope", NULL, &st, &err), COLSTORE_EINVAL);
    cr_assert_null(st.release);
    /* a predicate nested too deep */
    colstore_pred *deep = calloc(100, sizeof(*deep));
    for (int i = 0; i < 99; i++)
        deep[i] = (colstore_pred){.op = COLSTORE_OP_NOT, .args = &deep[i + 1], .nargs = 1};
    deep[99] = (colstore_pred){.op = COLSTORE_OP_TRUE};
    o = (colstore_scan_options)COLSTORE_SCAN_OPTIONS_INIT;
    o.where = deep;
    cr_assert_eq(colstore_scan_open(snap, "fact_training", &o, &s, &err), COLSTORE_EINVAL);
    free(deep);
    colstore_scan_close(NULL);
    colstore_snapshot_close(NULL);
    cr_assert_eq(colstore_snapshot_version(NULL), 0);
    cr_assert_eq(colstore_batch_rows(NULL), 0);
    colstore_snapshot_close(snap);
}

/* text[] values as list<utf8>: quoted elements unescaped; a multi-dimensional array (the
 * loader takes them, list<utf8> cannot carry them) fails get_next with a message. */
Test(scan_api, arrow_text_array_shapes)
{
    char *d = NULL;
    char tmpl[] = "/tmp/cs_scan_arr_XXXXXX";
    d = mkdtemp(tmpl);
    cr_assert_not_null(d);
    char path[128];
    snprintf(path, sizeof(path), "%s/st", d);
    colstore_error err;
    colstore_store *st = NULL;
    colstore_load_options lo = COLSTORE_LOAD_OPTIONS_INIT;
    cr_assert_eq(colstore_open(path, COLSTORE_WRITABLE | COLSTORE_CREATE, &st, &err), COLSTORE_OK,
                 "%s", err.message);
    const char *dims[][2] = {
        {"dim_agent", "1\ta\tdata\t[]\t300\t0\t2025-01-01 00:00:00+00\t\\N\tt\n"},
        {"dim_time", "20250301\t2025-03-01\t2025\t1\t3\t9\t1\t6\t60\tSaturday \tMarch    "
                     "\tt\tf\t\\N\t\\N\t\\N\t\\N\n"},
        {"dim_conversation", "1\tc\t2025-03-01 10:00:00+00\t2025-03-01 10:00:00+00\t0\t0\t1\t{}\n"},
        {"dim_user", "1\tu\tannotator\t\\N\t2025-01-01 00:00:00+00\t\\N\tt\n"},
        {"fact_training", "1\t1\t20250301\t1\t1\tt\t5\t4\t3\t{x,\"y z\"}\t"
                          "2025-03-01 10:00:00+00\t\\N\n"
                          "2\t1\t20250301\t1\t1\tt\t5\t4\t3\t{{a,b},{c,d}}\t"
                          "2025-03-01 10:00:00+00\t\\N\n"},
    };
    for (size_t i = 0; i < 5; i++)
        cr_assert_eq(colstore_load_buffer(st, dims[i][0], dims[i][1], strlen(dims[i][1]), "x.copy",
                                          &lo, NULL, &err),
                     COLSTORE_OK, "%s: %s", dims[i][0], err.message);
    colstore_snapshot *snap = NULL;
    cr_assert_eq(colstore_snapshot_open(st, &snap, &err), COLSTORE_OK);
    size_t labels = 0, key = 0;
    cr_assert_eq(colstore_column_index("fact_training", "labels", &labels, &err), COLSTORE_OK);
    cr_assert_eq(colstore_column_index("fact_training", "training_key", &key, &err), COLSTORE_OK);
    const size_t cols[] = {labels};
    /* row 1 alone: elements x and "y z" */
    const colstore_pred one = {
        .op = COLSTORE_OP_EQ, .column = key, .value = {.type = COLSTORE_TYPE_INT, .i = 1}};
    colstore_scan_options o = COLSTORE_SCAN_OPTIONS_INIT;
    o.columns = cols;
    o.ncolumns = 1;
    o.where = &one;
    struct ArrowArrayStream s;
    cr_assert_eq(colstore_scan_arrow(snap, "fact_training", &o, &s, &err), COLSTORE_OK);
    struct ArrowArray a;
    cr_assert_eq(s.get_next(&s, &a), 0, "%s", s.get_last_error(&s));
    cr_assert_eq(a.length, 1);
    const struct ArrowArray *l = a.children[0], *e = l->children[0];
    const int32_t *lo32 = l->buffers[1], *eo = e->buffers[1];
    cr_assert_eq(lo32[1] - lo32[0], 2);
    cr_assert(memcmp((const char *)e->buffers[2] + eo[1], "y z", 3) == 0);
    a.release(&a);
    s.release(&s);
    /* every row: the two-dimensional value fails the batch */
    o.where = NULL;
    cr_assert_eq(colstore_scan_arrow(snap, "fact_training", &o, &s, &err), COLSTORE_OK);
    cr_assert_eq(s.get_next(&s, &a), EINVAL);
    cr_assert(strstr(s.get_last_error(&s), "one-dimensional") != NULL, "%s", s.get_last_error(&s));
    s.release(&s);
    colstore_snapshot_close(snap);
    colstore_close(st);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", d);
    cr_assert_eq(system(cmd), 0);
}
