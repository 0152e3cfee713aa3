/*
 * colstore_scan_arrow: a table scan as an Arrow C Stream (ArrowArrayStream), so that any Arrow
 * consumer (DuckDB, pyarrow, Polars, the Parquet export) reads the store the same way. Each
 * batch of the scan (one partition) becomes one struct array whose children own copies of
 * the values in Arrow's layouts:
 *   integer → int16/int32/int64, numeric(p,s) → decimal128(p,s) (16-byte little-endian two's
 *   complement), date → date32, timestamptz → timestamp[us, UTC], text → utf8, boolean →
 *   bool (bits), jsonb → utf8 tagged with the canonical extension "arrow.json",
 *   text[] → list<utf8> (each array literal parsed into its elements; NULL elements kept).
 */
#include "engine/engine.h"
#include "engine/scan_api.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ---- schema ---- */

struct schema_priv {
    char format[32];
    char *metadata;
    struct ArrowSchema *kids[1];
    struct ArrowSchema kid;
};

static void release_leaf_schema(struct ArrowSchema *s)
{
    struct schema_priv *p = s->private_data;
    if (p != NULL && p->kids[0] != NULL && p->kid.release != NULL) p->kid.release(&p->kid);
    if (p != NULL) free(p->metadata);
    free(p);
    s->release = NULL;
}

/* The extension metadata of jsonb: {"ARROW:extension:name": "arrow.json",
 * "ARROW:extension:metadata": ""} in the C Data Interface's binary layout. */
static char *json_metadata(void)
{
    static const char *const kv[] = {"ARROW:extension:name", "arrow.json",
                                     "ARROW:extension:metadata", ""};
    size_t n = 4;
    for (int i = 0; i < 4; i++)
        n += 4 + strlen(kv[i]);
    char *m = malloc(n), *p = m;
    if (m == NULL) return NULL;
    int32_t v = 2;
    memcpy(p, &v, 4);
    p += 4;
    for (int i = 0; i < 4; i++) {
        v = (int32_t)strlen(kv[i]);
        memcpy(p, &v, 4);
        memcpy(p + 4, kv[i], (size_t)v);
        p += 4 + v;
    }
    return m;
}

static const char *format_of(const struct cs_column_def *d, char *buf, size_t cap)
{
    switch (d->type) {
    case CS_TY_INT4:
        return "i";
    case CS_TY_INT8:
        return "l";
    case CS_TY_BOOL:
        return "b";
    case CS_TY_DATE:
        return "tdD";
    case CS_TY_TIMESTAMPTZ:
        return "tsu:UTC";
    case CS_TY_NUMERIC:
        (void)snprintf(buf, cap, "d:%d,%d", d->precision, d->scale);
        return buf;
    case CS_TY_TEXT_ARRAY:
        return "+l";
    default:
        return "u";
    }
}

static int column_schema(const struct cs_column_def *d, struct ArrowSchema *s)
{
    struct schema_priv *p = calloc(1, sizeof(*p));
    if (p == NULL) return ENOMEM;
    const char *f = format_of(d, p->format, sizeof(p->format));
    if (f != p->format) snprintf(p->format, sizeof(p->format), "%s", f);
    *s = (struct ArrowSchema){.format = p->format,
                              .name = d->name,
                              .flags = (d->flags & CS_COL_NOT_NULL) ? 0 : ARROW_FLAG_NULLABLE,
                              .release = release_leaf_schema,
                              .private_data = p};
    if (d->type == CS_TY_JSONB) {
        p->metadata = json_metadata();
        if (p->metadata == NULL) return ENOMEM;
        s->metadata = p->metadata;
    }
    if (d->type == CS_TY_TEXT_ARRAY) {
        p->kid = (struct ArrowSchema){.format = "u",
                                      .name = "item",
                                      .flags = ARROW_FLAG_NULLABLE,
                                      .release = release_leaf_schema};
        p->kids[0] = &p->kid;
        s->n_children = 1;
        s->children = p->kids;
    }
    return 0;
}

struct struct_schema_priv {
    struct ArrowSchema **kids;
    size_t n;
};

static void release_struct_schema(struct ArrowSchema *s)
{
    struct struct_schema_priv *p = s->private_data;
    for (size_t i = 0; p != NULL && i < p->n; i++) {
        if (p->kids[i] != NULL && p->kids[i]->release != NULL) p->kids[i]->release(p->kids[i]);
        free(p->kids[i]);
    }
    if (p != NULL) free(p->kids);
    free(p);
    s->release = NULL;
}

static int scan_schema(const colstore_scan *scan, struct ArrowSchema *out)
{
    const size_t n = cs_engine_scan_ncols(scan);
    struct struct_schema_priv *p = calloc(1, sizeof(*p));
    // NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers
    if (p != NULL) p->kids = calloc(n ? n : 1, sizeof(*p->kids));
    *out = (struct ArrowSchema){.format = "+s",
                                .name = "",
                                .n_children = (int64_t)n,
                                .children = p != NULL ? p->kids : NULL,
                                .release = release_struct_schema,
                                .private_data = p};
    int rc = p != NULL && p->kids != NULL ? 0 : ENOMEM;
    for (size_t j = 0; j < n && rc == 0; j++) {
        p->kids[j] = calloc(1, sizeof(struct ArrowSchema));
        p->n = j + 1;
        rc = p->kids[j] == NULL ? ENOMEM : column_schema(cs_engine_scan_def(scan, j), p->kids[j]);
    }
    if (rc != 0) release_struct_schema(out);
    return rc;
}

/* ---- arrays ---- */

struct array_priv {
    void *bufs[3];
    const void *ptrs[3];
    struct ArrowArray **kids; /* struct: n; list: 1 */
    size_t nkids;
};

static void release_array(struct ArrowArray *a)
{
    struct array_priv *p = a->private_data;
    for (size_t i = 0; p != NULL && i < p->nkids; i++) {
        if (p->kids[i] != NULL && p->kids[i]->release != NULL) p->kids[i]->release(p->kids[i]);
        free(p->kids[i]);
    }
    if (p != NULL) {
        free(p->kids);
        for (int i = 0; i < 3; i++)
            free(p->bufs[i]);
    }
    free(p);
    a->release = NULL;
}

static struct array_priv *new_array(struct ArrowArray *a, int64_t rows, int nbufs)
{
    struct array_priv *p = calloc(1, sizeof(*p));
    *a = (struct ArrowArray){.length = rows,
                             .n_buffers = nbufs,
                             .buffers = p ? p->ptrs : NULL,
                             .release = release_array,
                             .private_data = p};
    return p;
}

static void publish(struct ArrowArray *a, struct array_priv *p)
{
    for (int i = 0; i < 3; i++)
        p->ptrs[i] = p->bufs[i];
    a->children = p->kids;
    a->n_children = (int64_t)p->nkids;
}

/* Validity bitmap of c (bit set = valid), or NULL when no row is NULL. */
static int validity(const struct cs_col *c, size_t n, struct array_priv *p, struct ArrowArray *a)
{
    if (c->null_count == 0 || c->nulls == NULL) return 0;
    uint8_t *bits = calloc(n / 8 + 1, 1);
    if (bits == NULL) return ENOMEM;
    for (size_t i = 0; i < n; i++)
        bits[i >> 3] |= (uint8_t)((!c->nulls[i]) << (i & 7));
    p->bufs[0] = bits;
    a->null_count = (int64_t)c->null_count;
    return 0;
}

static int
fixed_values(const struct cs_col *c, const struct cs_column_def *d, size_t n, struct array_priv *p)
{
    if (d->type == CS_TY_BOOL) {
        uint8_t *bits = calloc(n / 8 + 1, 1);
        if (bits == NULL) return ENOMEM;
        for (size_t i = 0; i < n; i++)
            bits[i >> 3] |= (uint8_t)((c->b8[i] & 1) << (i & 7));
        p->bufs[1] = bits;
        return 0;
    }
    const size_t w = d->type == CS_TY_NUMERIC                         ? 16
                     : d->type == CS_TY_INT4 || d->type == CS_TY_DATE ? 4
                                                                      : 8;
    uint8_t *v = malloc(n * w + 1);
    if (v == NULL) return ENOMEM;
    if (w == 8) {
        memcpy(v, c->i64, n * 8);
    } else if (w == 4) {
        int32_t *o = (int32_t *)(void *)v;
        for (size_t i = 0; i < n; i++)
            o[i] = (int32_t)c->i64[i];
    } else {
        int64_t *o = (int64_t *)(void *)v; /* little-endian: low word, then the sign */
        for (size_t i = 0; i < n; i++) {
            o[2 * i] = c->i64[i];
            o[2 * i + 1] = c->i64[i] < 0 ? -1 : 0;
        }
    }
    p->bufs[1] = v;
    return 0;
}

static int utf8_values(const struct cs_col *c, size_t n, struct array_priv *p)
{
    if (c->data_len > INT32_MAX) return EOVERFLOW;
    int32_t *off = malloc((n + 1) * sizeof(*off));
    char *data = malloc(c->data_len + 1);
    if (off == NULL || data == NULL) {
        free(off);
        free(data);
        return ENOMEM;
    }
    for (size_t i = 0; i <= n; i++)
        off[i] = (int32_t)c->off[i];
    if (c->data_len > 0) memcpy(data, c->data, c->data_len);
    p->bufs[1] = off;
    p->bufs[2] = data;
    return 0;
}

/* ---- text[] literals → list<utf8> ---- */

struct list_build {
    int32_t *off;  /* rows + 1 list offsets */
    int32_t *eoff; /* element offsets */
    uint8_t *evalid;
    char *data;
    size_t nel, el_cap, len, cap;
    int64_t enulls;
};

static bool grow_el(struct list_build *b)
{
    if (b->nel + 2 <= b->el_cap) return true;
    const size_t cap = b->el_cap < 64 ? 64 : b->el_cap * 2;
    int32_t *o = realloc(b->eoff, cap * sizeof(*o));
    if (o != NULL) b->eoff = o;
    uint8_t *v = o != NULL ? realloc(b->evalid, cap / 8 + 1) : NULL;
    if (v == NULL) return false;
    memset(v + b->el_cap / 8, 0, cap / 8 + 1 - b->el_cap / 8);
    b->evalid = v;
    b->el_cap = cap;
    return true;
}

static bool put_byte(struct list_build *b, char ch)
{
    if (b->len == b->cap) {
        const size_t cap = b->cap < 256 ? 256 : b->cap * 2;
        char *d = realloc(b->data, cap);
        if (d == NULL) return false;
        b->data = d;
        b->cap = cap;
    }
    b->data[b->len++] = ch;
    return true;
}

static bool end_element(struct list_build *b, bool null)
{
    if (!null) b->evalid[b->nel >> 3] |= (uint8_t)(1u << (b->nel & 7));
    b->enulls += null;
    b->nel++;
    if (b->len > INT32_MAX) return false;
    b->eoff[b->nel] = (int32_t)b->len;
    return true;
}

static bool null_word(const char *s, size_t n)
{
    return n == 4 && (s[0] | 32) == 'n' && (s[1] | 32) == 'u' && (s[2] | 32) == 'l' &&
           (s[3] | 32) == 'l';
}

/* parse_array() - append the elements of one text[] literal as array_out prints it
 * ({a,"b c",NULL}, an optional [lo:hi]= prefix). EINVAL when it is not a one-dimensional
 * literal. */
static int parse_array(struct list_build *b, const char *s, size_t n)
{
    size_t i = 0;
    if (n > 0 && s[0] == '[') {
        while (i < n && s[i] != '=')
            i++;
        i++;
    }
    if (i >= n || s[i] != '{') return EINVAL;
    i++;
    if (i < n && s[i] == '}') return i + 1 == n ? 0 : EINVAL;
    for (;;) {
        if (i >= n || s[i] == '{') return EINVAL; /* multi-dimensional */
        if (!grow_el(b)) return ENOMEM;
        if (s[i] == '"') {
            for (i++; i < n && s[i] != '"'; i++) {
                if (s[i] == '\\' && i + 1 < n) i++;
                if (!put_byte(b, s[i])) return ENOMEM;
            }
            if (i >= n) return EINVAL;
            i++;
            if (!end_element(b, false)) return EOVERFLOW;
        } else {
            const size_t start = i;
            while (i < n && s[i] != ',' && s[i] != '}')
                i++;
            const bool null = null_word(s + start, i - start);
            for (size_t k = start; !null && k < i; k++) {
                if (!put_byte(b, s[k])) return ENOMEM;
            }
            if (!end_element(b, null)) return EOVERFLOW;
        }
        if (i < n && s[i] == ',') {
            i++;
            continue;
        }
        return i + 1 == n && s[i] == '}' ? 0 : EINVAL;
    }
}

static int list_values(const struct cs_col *c, size_t n, struct array_priv *p, struct ArrowArray *a)
{
    struct list_build b = {0};
    b.off = malloc((n + 1) * sizeof(*b.off));
    int rc = b.off != NULL && grow_el(&b) ? 0 : ENOMEM;
    if (rc == 0) b.eoff[0] = 0;
    for (size_t r = 0; r < n && rc == 0; r++) {
        b.off[r] = (int32_t)b.nel;
        size_t len = 0;
        const char *s = cs_col_str(c, r, &len);
        if (!cs_col_is_null(c, r)) rc = parse_array(&b, s, len);
    }
    if (rc == 0 && b.nel > INT32_MAX) rc = EOVERFLOW;
    struct ArrowArray *kid = rc == 0 ? calloc(1, sizeof(*kid)) : NULL;
    // NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers
    p->kids = rc == 0 ? calloc(1, sizeof(*p->kids)) : NULL;
    struct array_priv *kp =
        kid != NULL && p->kids != NULL ? new_array(kid, (int64_t)b.nel, 3) : NULL;
    if (rc == 0 && kp == NULL) rc = ENOMEM;
    if (rc != 0) {
        free(kid);
        free(b.off);
        free(b.eoff);
        free(b.evalid);
        free(b.data);
        return rc;
    }
    b.off[n] = (int32_t)b.nel;
    p->kids[0] = kid;
    p->nkids = 1;
    p->bufs[1] = b.off;
    kp->bufs[0] = b.enulls > 0 ? b.evalid : NULL;
    if (b.enulls == 0) free(b.evalid);
    kp->bufs[1] = b.eoff;
    kp->bufs[2] = b.data != NULL ? b.data : malloc(1);
    kid->null_count = b.enulls;
    publish(kid, kp);
    (void)a;
    return kp->bufs[2] != NULL ? 0 : ENOMEM;
}

static int
column_array(const struct cs_col *c, const struct cs_column_def *d, size_t n, struct ArrowArray *a)
{
    const bool str = c->kind == CS_K_STR;
    const int nbufs = d->type == CS_TY_TEXT_ARRAY ? 2 : str ? 3 : 2;
    struct array_priv *p = new_array(a, (int64_t)n, nbufs);
    if (p == NULL) return ENOMEM;
    int rc = validity(c, n, p, a);
    if (rc == 0) {
        if (d->type == CS_TY_TEXT_ARRAY)
            rc = list_values(c, n, p, a);
        else if (str)
            rc = utf8_values(c, n, p);
        else
            rc = fixed_values(c, d, n, p);
    }
    publish(a, p);
    return rc;
}

/* batch_array() - the struct array of one batch. */
static int batch_array(const colstore_scan *scan, const colstore_batch *b, struct ArrowArray *out)
{
    const struct cs_scan_batch *sb = cs_engine_batch(b);
    struct array_priv *p = new_array(out, (int64_t)sb->rows, 1);
    if (p == NULL) return ENOMEM;
    // NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers
    p->kids = calloc(sb->ncols ? sb->ncols : 1, sizeof(*p->kids));
    int rc = p->kids != NULL ? 0 : ENOMEM;
    for (size_t j = 0; j < sb->ncols && rc == 0; j++) {
        p->kids[j] = calloc(1, sizeof(**p->kids));
        p->nkids = j + 1;
        rc = p->kids[j] == NULL
                 ? ENOMEM
                 : column_array(sb->cols[j], cs_engine_scan_def(scan, j), sb->rows, p->kids[j]);
    }
    publish(out, p);
    if (rc != 0) release_array(out);
    return rc;
}

/* ---- the stream ---- */

struct stream_priv {
    colstore_scan *scan;
    colstore_error err;
};

static int stream_schema(struct ArrowArrayStream *st, struct ArrowSchema *out)
{
    struct stream_priv *p = st->private_data;
    const int rc = scan_schema(p->scan, out);
    if (rc != 0) {
        struct cs_error e = {0};
        (void)cs_engine_return(&p->err, cs_error_set(&e, CS_ENOMEM, "arrow schema: out of memory"),
                               &e);
    }
    return rc;
}

static int errno_of(int code)
{
    return code == COLSTORE_ENOMEM ? ENOMEM : code == COLSTORE_EINVAL ? EINVAL : EIO;
}

static int stream_next(struct ArrowArrayStream *st, struct ArrowArray *out)
{
    struct stream_priv *p = st->private_data;
    memset(out, 0, sizeof(*out));
    const colstore_batch *b = NULL;
    const int code = colstore_scan_next(p->scan, &b, &p->err);
    if (code != COLSTORE_OK) return errno_of(code);
    if (b == NULL) return 0; /* end of stream: out->release == NULL */
    const int rc = batch_array(p->scan, b, out);
    if (rc == 0) return 0;
    struct cs_error e = {0};
    const int part = (int)colstore_batch_time_key(b);
    if (rc == EINVAL)
        (void)cs_error_set(&e, CS_EINVAL,
                           "partition %d: a text[] value is not a one-dimensional array literal",
                           part);
    else
        (void)cs_error_set(&e, rc == ENOMEM ? CS_ENOMEM : CS_EINVAL, "partition %d: %s", part,
                           rc == ENOMEM ? "out of memory"
                                        : "a column exceeds Arrow's 2 GiB offsets");
    (void)cs_engine_return(&p->err, e.code, &e);
    return rc;
}

static const char *stream_error(struct ArrowArrayStream *st)
{
    struct stream_priv *p = st->private_data;
    return p->err.message[0] != '\0' ? p->err.message : NULL;
}

static void stream_release(struct ArrowArrayStream *st)
{
    struct stream_priv *p = st->private_data;
    if (p != NULL) colstore_scan_close(p->scan);
    free(p);
    st->release = NULL;
}

int colstore_scan_arrow(colstore_snapshot *snap,
                        const char *table,
                        const colstore_scan_options *opts,
                        struct ArrowArrayStream *out,
                        colstore_error *err)
{
    struct cs_error e = {0};
    struct stream_priv *p = NULL;
    int rc;
    if (out == NULL) {
        rc = cs_error_set(&e, CS_EINVAL, "scan_arrow: out is required");
        goto done;
    }
    memset(out, 0, sizeof(*out));
    p = calloc(1, sizeof(*p));
    if (p == NULL) {
        rc = cs_error_set(&e, CS_ENOMEM, "out of memory");
        goto done;
    }
    colstore_error se;
    rc = colstore_scan_open(snap, table, opts, &p->scan, &se);
    if (rc != CS_OK) {
        (void)cs_error_set(&e, rc, "%s", se.message);
        goto done;
    }
    *out = (struct ArrowArrayStream){stream_schema, stream_next, stream_error, stream_release, p};
    p = NULL;
done:
    free(p);
    return cs_engine_return(err, rc, &e);
}
