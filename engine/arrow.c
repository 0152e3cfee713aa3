/*
 * colstore_result_to_arrow: a result exported through the Arrow C Data Interface
 * (ArrowSchema / ArrowArray, per Arrow's specification). The exported struct array owns copies
 * of the values, so it outlives the result; consumers (DuckDB, pyarrow, Polars, nanoarrow)
 * release it through the release callbacks.
 *
 * Column mapping: INT → int64 "l", NUMERIC(s) → decimal128(18, s) "d:18,s", DATE → date32
 * "tdD", TIMESTAMP → timestamp[us, UTC] "tsu:UTC", BOOL → "b", TEXT → utf8 "u".
 */
#include "engine/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/format.h"
#include "query/report.h"
#include "storage/base/pgtext.h"

struct colstore_result; /* layout private to result.c; reached through accessors */

struct arrow_child_priv {
    void *bufs[3];
    const void *ptrs[3];
    char format[16];
};

static void release_schema(struct ArrowSchema *s)
{
    if (s == NULL || s->release == NULL) return;
    for (int64_t i = 0; s->children != NULL && i < s->n_children; i++) {
        struct ArrowSchema *c = s->children[i];
        if (c != NULL && c->release != NULL) c->release(c);
        free(c);
    }
    free(s->children);
    free(s->private_data);
    s->release = NULL;
}

static void release_child_schema(struct ArrowSchema *s)
{
    free(s->private_data);
    s->release = NULL;
}

static void release_child_array(struct ArrowArray *a)
{
    struct arrow_child_priv *p = a->private_data;
    for (int i = 0; i < 3; i++)
        free(p->bufs[i]);
    free(p);
    a->release = NULL;
}

static void release_array(struct ArrowArray *a)
{
    if (a == NULL || a->release == NULL) return;
    for (int64_t i = 0; a->children != NULL && i < a->n_children; i++) {
        struct ArrowArray *c = a->children[i];
        if (c != NULL && c->release != NULL) c->release(c);
        free(c);
    }
    free(a->children);
    free(a->private_data);
    a->release = NULL;
}

static void arrow_format(int type, int scale, char *out, size_t n)
{
    switch (type) {
    case COLSTORE_TYPE_NUMERIC:
        snprintf(out, n, "d:18,%d", scale);
        break;
    case COLSTORE_TYPE_DATE:
        snprintf(out, n, "tdD");
        break;
    case COLSTORE_TYPE_TIMESTAMP:
        snprintf(out, n, "tsu:UTC");
        break;
    case COLSTORE_TYPE_BOOL:
        snprintf(out, n, "b");
        break;
    case COLSTORE_TYPE_TEXT:
        snprintf(out, n, "u");
        break;
    case COLSTORE_TYPE_DOUBLE:
        snprintf(out, n, "g");
        break;
    default:
        snprintf(out, n, "l");
        break;
    }
}

/* Validity bitmap (NULL when no value is NULL) and the null count of column col. */
static int validity(const colstore_result *r, size_t col, uint8_t **out, int64_t *nulls)
{
    const size_t rows = colstore_result_rows(r);
    *out = NULL;
    *nulls = 0;
    for (size_t i = 0; i < rows; i++)
        *nulls += colstore_result_is_null(r, i, col) ? 1 : 0;
    if (*nulls == 0) return COLSTORE_OK;
    uint8_t *bits = calloc(rows / 8 + 1, 1);
    if (bits == NULL) return COLSTORE_ENOMEM;
    for (size_t i = 0; i < rows; i++) {
        if (!colstore_result_is_null(r, i, col)) bits[i / 8] |= (uint8_t)(1u << (i % 8));
    }
    *out = bits;
    return COLSTORE_OK;
}

static int fixed_values(colstore_result *r, size_t col, int type, struct arrow_child_priv *p)
{
    const size_t rows = colstore_result_rows(r);
    if (type == COLSTORE_TYPE_BOOL) {
        uint8_t *bits = calloc(rows / 8 + 1, 1);
        if (bits == NULL) return COLSTORE_ENOMEM;
        for (size_t i = 0; i < rows; i++) {
            if (colstore_result_int(r, i, col) != 0) bits[i / 8] |= (uint8_t)(1u << (i % 8));
        }
        p->bufs[1] = bits;
        return COLSTORE_OK;
    }
    const size_t width = type == COLSTORE_TYPE_NUMERIC ? 16 : type == COLSTORE_TYPE_DATE ? 4 : 8;
    uint8_t *v = calloc(rows ? rows : 1, width);
    if (v == NULL) return COLSTORE_ENOMEM;
    for (size_t i = 0; i < rows; i++) {
        const int64_t x = colstore_result_int(r, i, col);
        if (type == COLSTORE_TYPE_DOUBLE) {
            const double d = colstore_result_double(r, i, col);
            memcpy(v + 8 * i, &d, 8);
        } else if (width == 4) {
            const int32_t d = (int32_t)x;
            memcpy(v + 4 * i, &d, 4);
        } else {
            memcpy(v + width * i, &x, 8); /* little-endian low 64 bits */
            if (width == 16 && x < 0) memset(v + width * i + 8, 0xff, 8);
        }
    }
    p->bufs[1] = v;
    return COLSTORE_OK;
}

static int text_values(colstore_result *r, size_t col, struct arrow_child_priv *p)
{
    const size_t rows = colstore_result_rows(r);
    int32_t *off = malloc((rows + 1) * sizeof(*off));
    size_t cap = 256, len = 0;
    char *data = malloc(cap);
    if (off == NULL || data == NULL) {
        free(off);
        free(data);
        return COLSTORE_ENOMEM;
    }
    off[0] = 0;
    const struct cs_result *cr = cs_engine_result(r);
    for (size_t i = 0; i < rows; i++) {
        char buf[CS_FMT_MAX];
        const char *s = NULL;
        int is_null = 0;
        size_t n = cs_result_value_text(cr, col, i, buf, &s, &is_null);
        if (s == NULL) s = buf;
        if (is_null) n = 0; /* an empty slot under a cleared validity bit */
        if (len + n > cap) {
            while (len + n > cap)
                cap *= 2;
            char *d = realloc(data, cap);
            if (d == NULL) {
                free(off);
                free(data);
                return COLSTORE_ENOMEM;
            }
            data = d;
        }
        memcpy(data + len, s, n);
        len += n;
        off[i + 1] = (int32_t)len;
    }
    p->bufs[1] = off;
    p->bufs[2] = data;
    return COLSTORE_OK;
}

static int
export_column(colstore_result *r, size_t col, struct ArrowSchema *s, struct ArrowArray *a)
{
    struct arrow_child_priv *sp = calloc(1, sizeof(*sp));
    struct arrow_child_priv *ap = calloc(1, sizeof(*ap));
    if (sp == NULL || ap == NULL) {
        free(sp);
        free(ap);
        return COLSTORE_ENOMEM;
    }
    const int type = colstore_result_column_type(r, col);
    arrow_format(type, colstore_result_column_scale(r, col), sp->format, sizeof(sp->format));
    *s = (struct ArrowSchema){.format = sp->format,
                              .name = colstore_result_column_name(r, col),
                              .flags = ARROW_FLAG_NULLABLE,
                              .release = release_child_schema,
                              .private_data = sp};
    int64_t nulls = 0;
    int rc = validity(r, col, (uint8_t **)&ap->bufs[0], &nulls);
    if (rc == COLSTORE_OK)
        rc = type == COLSTORE_TYPE_TEXT ? text_values(r, col, ap) : fixed_values(r, col, type, ap);
    for (int i = 0; i < 3; i++)
        ap->ptrs[i] = ap->bufs[i];
    *a = (struct ArrowArray){.length = (int64_t)colstore_result_rows(r),
                             .null_count = nulls,
                             .n_buffers = type == COLSTORE_TYPE_TEXT ? 3 : 2,
                             .buffers = ap->ptrs,
                             .release = release_child_array,
                             .private_data = ap};
    return rc;
}

int colstore_result_to_arrow(const colstore_result *r,
                             struct ArrowSchema *out_schema,
                             struct ArrowArray *out_array,
                             colstore_error *err)
{
    struct cs_error e = {0};
    if (r == NULL || out_schema == NULL || out_array == NULL)
        return cs_engine_return(
            err, cs_error_set(&e, CS_EINVAL, "to_arrow: result, schema and array are required"),
            &e);
    const size_t n = colstore_result_columns(r);
    memset(out_schema, 0, sizeof(*out_schema));
    memset(out_array, 0, sizeof(*out_array));
    out_schema->format = "+s";
    out_schema->name = "";
    out_schema->n_children = (int64_t)n;
    out_schema->children = calloc(n ? n : 1, sizeof(struct ArrowSchema *));
    out_schema->release = release_schema;
    out_array->length = (int64_t)colstore_result_rows(r);
    out_array->n_buffers = 1;
    out_array->buffers = calloc(1, sizeof(void *));
    out_array->private_data = (void *)out_array->buffers;
    out_array->n_children = (int64_t)n;
    out_array->children = calloc(n ? n : 1, sizeof(struct ArrowArray *));
    out_array->release = release_array;
    int rc = out_schema->children && out_array->children && out_array->buffers ? COLSTORE_OK
                                                                               : COLSTORE_ENOMEM;
    colstore_result *rw = (colstore_result *)r; /* the accessors take no const */
    for (size_t i = 0; i < n && rc == COLSTORE_OK; i++) {
        out_schema->children[i] = calloc(1, sizeof(struct ArrowSchema));
        out_array->children[i] = calloc(1, sizeof(struct ArrowArray));
        if (out_schema->children[i] == NULL || out_array->children[i] == NULL)
            rc = COLSTORE_ENOMEM;
        else
            rc = export_column(rw, i, out_schema->children[i], out_array->children[i]);
    }
    if (rc != COLSTORE_OK) {
        release_schema(out_schema);
        release_array(out_array);
        cs_error_set(&e, rc, "to_arrow: out of memory");
    }
    return cs_engine_return(err, rc, &e);
}

/* ---- Arrow C Stream: one batch, then the end ---- */

struct stream_priv {
    struct ArrowSchema schema; /* owned; copied out by get_schema */
    struct ArrowArray array;   /* owned until get_next moves it out */
    char error[256];
};

/* A deep copy of a schema we made (no dictionary, no metadata). */

struct copied_schema {
    char *format, *name;
};

static void release_copied_schema(struct ArrowSchema *s)
{
    if (s == NULL || s->release == NULL) return;
    for (int64_t i = 0; s->children != NULL && i < s->n_children; i++) {
        if (s->children[i] != NULL && s->children[i]->release != NULL)
            s->children[i]->release(s->children[i]);
        free(s->children[i]);
    }
    free(s->children);
    struct copied_schema *c = s->private_data;
    if (c != NULL) {
        free(c->format);
        free(c->name);
        free(c);
    }
    s->release = NULL;
}

static int copy_schema(const struct ArrowSchema *src, struct ArrowSchema *dst)
{
    memset(dst, 0, sizeof(*dst));
    struct copied_schema *c = calloc(1, sizeof(*c));
    if (c == NULL) return COLSTORE_ENOMEM;
    *dst = (struct ArrowSchema){.flags = src->flags,
                                .n_children = src->n_children,
                                .release = release_copied_schema,
                                .private_data = c};
    c->format = strdup(src->format);
    c->name = strdup(src->name != NULL ? src->name : "");
    dst->format = c->format;
    dst->name = c->name;
    if (c->format == NULL || c->name == NULL) goto nomem;
    if (src->n_children > 0) {
        // NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers
        dst->children = calloc((size_t)src->n_children, sizeof(*dst->children));
        if (dst->children == NULL) goto nomem;
        for (int64_t i = 0; i < src->n_children; i++) {
            dst->children[i] = malloc(sizeof(struct ArrowSchema));
            if (dst->children[i] == NULL) goto nomem;
            if (copy_schema(src->children[i], dst->children[i]) != COLSTORE_OK) {
                free(dst->children[i]);
                dst->children[i] = NULL;
                goto nomem;
            }
        }
    }
    return COLSTORE_OK;
nomem:
    release_copied_schema(dst);
    return COLSTORE_ENOMEM;
}

static int stream_get_schema(struct ArrowArrayStream *st, struct ArrowSchema *out)
{
    struct stream_priv *p = st->private_data;
    if (copy_schema(&p->schema, out) != COLSTORE_OK) {
        snprintf(p->error, sizeof(p->error), "out of memory copying the schema");
        return 12; /* ENOMEM, as the interface asks for errno values */
    }
    return 0;
}

static int stream_get_next(struct ArrowArrayStream *st, struct ArrowArray *out)
{
    struct stream_priv *p = st->private_data;
    *out = p->array; /* the batch the first time; a released array (end of stream) after */
    memset(&p->array, 0, sizeof(p->array));
    return 0;
}

static const char *stream_get_last_error(struct ArrowArrayStream *st)
{
    struct stream_priv *p = st->private_data;
    return p->error[0] != '\0' ? p->error : NULL;
}

static void stream_release(struct ArrowArrayStream *st)
{
    if (st == NULL || st->release == NULL) return;
    struct stream_priv *p = st->private_data;
    if (p->schema.release != NULL) p->schema.release(&p->schema);
    if (p->array.release != NULL) p->array.release(&p->array);
    free(p);
    st->release = NULL;
}

int colstore_result_to_arrow_stream(const colstore_result *r,
                                    struct ArrowArrayStream *out,
                                    colstore_error *err)
{
    struct cs_error e = {0};
    int rc = CS_OK;
    struct stream_priv *p = NULL;
    if (r == NULL || out == NULL) {
        rc = cs_error_set(&e, CS_EINVAL, "to_arrow_stream: result and stream are required");
        goto done;
    }
    memset(out, 0, sizeof(*out));
    p = calloc(1, sizeof(*p));
    if (p == NULL) {
        rc = cs_error_set(&e, CS_ENOMEM, "to_arrow_stream: out of memory");
        goto done;
    }
    colstore_error inner;
    rc = colstore_result_to_arrow(r, &p->schema, &p->array, &inner);
    if (rc != CS_OK) {
        cs_error_set(&e, rc, "%s", inner.message);
        goto done;
    }
    *out = (struct ArrowArrayStream){.get_schema = stream_get_schema,
                                     .get_next = stream_get_next,
                                     .get_last_error = stream_get_last_error,
                                     .release = stream_release,
                                     .private_data = p};
    p = NULL;
done:
    free(p);
    return cs_engine_return(err, rc, &e);
}
