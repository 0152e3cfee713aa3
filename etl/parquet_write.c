/*
 * The Parquet file (etl/parquet_write.h): "PAR1", row groups of column chunks
 * (etl/parquet_column.c), then the footer — FileMetaData in the Thrift compact protocol, its
 * length, "PAR1". The writer keeps the Arrow arrays of the current row group and writes the
 * group when it holds row_group_rows rows or at the end; each column chunk is encoded in
 * memory and written with one write().
 */
#include "etl/parquet_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct rg_meta {
    int64_t rows;
    int64_t offset; /* of its first column chunk */
    int64_t total_uncompressed, total_compressed;
    struct cs_pq_chunk *chunks; /* ncols */
    int64_t *chunk_offset;      /* ncols: file offset of each chunk */
};

struct cs_pq_writer {
    int fd;
    char path[1024];
    struct cs_pq_options o;
    struct cs_pq_col *cols;
    size_t ncols;
    int64_t offset;          /* bytes written */
    struct ArrowArray *held; /* the current row group's arrays */
    size_t nheld, held_cap;
    size_t held_rows;
    struct rg_meta *rgs;
    size_t nrgs, rgs_cap;
    uint64_t rows;
    struct cs_pq_scratch *scratch;
    bool own_scratch;
};

/* ---- schema ---- */

/* Whether Arrow metadata (int32 count, then int32-length keys and values) tags the field as
 * the extension arrow.json. */
static bool is_json(const char *md)
{
    if (md == NULL) return false;
    int32_t n;
    memcpy(&n, md, 4);
    const char *p = md + 4;
    for (int32_t i = 0; i < n && i < 64; i++) {
        int32_t kl, vl;
        memcpy(&kl, p, 4);
        const char *k = p + 4;
        memcpy(&vl, k + kl, 4);
        const char *v = k + kl + 4;
        if (kl == 20 && memcmp(k, "ARROW:extension:name", 20) == 0 && vl == 10 &&
            memcmp(v, "arrow.json", 10) == 0)
            return true;
        p = v + vl;
    }
    return false;
}

static int
map_field(const struct ArrowSchema *f, struct cs_pq_col *c, const char *path, struct cs_error *err)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->name, sizeof(c->name), "%s", f->name != NULL ? f->name : "");
    c->optional = (f->flags & ARROW_FLAG_NULLABLE) != 0;
    c->max_def = c->optional ? 1 : 0;
    const char *fmt = f->format;
    if (strcmp(fmt, "b") == 0) {
        c->src = CS_PQ_SRC_BOOL;
        c->phys = PQ_BOOLEAN;
    } else if (strcmp(fmt, "s") == 0) {
        c->src = CS_PQ_SRC_I16;
        c->phys = PQ_INT32;
        c->logical = CS_PQ_LOG_INT16;
    } else if (strcmp(fmt, "i") == 0 || strcmp(fmt, "tdD") == 0) {
        c->src = CS_PQ_SRC_I32;
        c->phys = PQ_INT32;
        c->logical = fmt[0] == 't' ? CS_PQ_LOG_DATE : CS_PQ_LOG_NONE;
    } else if (strcmp(fmt, "l") == 0) {
        c->src = CS_PQ_SRC_I64;
        c->phys = PQ_INT64;
    } else if (strncmp(fmt, "tsu:", 4) == 0) {
        c->src = CS_PQ_SRC_I64;
        c->phys = PQ_INT64;
        c->logical = CS_PQ_LOG_TIMESTAMP;
        c->utc = fmt[4] != '\0';
    } else if (sscanf(fmt, "d:%d,%d", &c->precision, &c->scale) == 2 && strchr(fmt + 2, ',') &&
               strchr(strchr(fmt + 2, ',') + 1, ',') == NULL && c->precision >= 1 &&
               c->precision <= 18 && c->scale >= 0 && c->scale <= c->precision) {
        c->src = CS_PQ_SRC_DEC128;
        c->phys = c->precision <= 9 ? PQ_INT32 : PQ_INT64;
        c->logical = CS_PQ_LOG_DECIMAL;
    } else if (strcmp(fmt, "u") == 0) {
        c->src = CS_PQ_SRC_UTF8;
        c->phys = PQ_BYTE_ARRAY;
        c->logical = is_json(f->metadata) ? CS_PQ_LOG_JSON : CS_PQ_LOG_STRING;
    } else if (strcmp(fmt, "+l") == 0 && f->n_children == 1 &&
               strcmp(f->children[0]->format, "u") == 0) {
        c->src = CS_PQ_SRC_LIST_UTF8;
        c->phys = PQ_BYTE_ARRAY;
        c->logical = CS_PQ_LOG_STRING;
        c->max_def = (c->optional ? 1 : 0) + 2; /* the repeated group, the optional element */
        c->max_rep = 1;
    } else {
        return cs_error_set(err, CS_EINVAL,
                            "%s: column %s: Arrow type \"%s\" has no Parquet "
                            "mapping here",
                            path, c->name, fmt);
    }
    return CS_OK;
}

int cs_pq_open(int fd,
               const char *path,
               const struct ArrowSchema *schema,
               const struct cs_pq_options *o,
               struct cs_pq_writer **out,
               struct cs_error *err)
{
    *out = NULL;
    if (schema == NULL || strcmp(schema->format, "+s") != 0 || schema->n_children < 1)
        return cs_error_set(err, CS_EINVAL, "%s: the schema is not a struct of columns", path);
    struct cs_pq_writer *w = calloc(1, sizeof(*w));
    if (w != NULL) w->cols = calloc((size_t)schema->n_children, sizeof(*w->cols));
    if (w == NULL || w->cols == NULL) {
        free(w);
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    w->fd = fd;
    snprintf(w->path, sizeof(w->path), "%s", path);
    if (o != NULL) w->o = *o;
    if (w->o.row_group_rows == 0) w->o.row_group_rows = CS_PQ_ROW_GROUP_ROWS;
    w->scratch = w->o.scratch;
    if (w->scratch == NULL) {
        w->scratch = cs_pq_scratch_new();
        w->own_scratch = true;
        if (w->scratch == NULL) {
            cs_pq_free(w);
            return cs_error_set(err, CS_ENOMEM, "out of memory");
        }
    }
    w->ncols = (size_t)schema->n_children;
    int rc = CS_OK;
    for (size_t j = 0; j < w->ncols && rc == CS_OK; j++)
        rc = map_field(schema->children[j], &w->cols[j], path, err);
    if (rc != CS_OK) {
        cs_pq_free(w);
        return rc;
    }
    *out = w;
    return CS_OK;
}

/* ---- writing ---- */

static int write_all(struct cs_pq_writer *w, const void *p, size_t n, struct cs_error *err)
{
    const uint8_t *b = p;
    while (n > 0) {
        const ssize_t k = write(w->fd, b, n);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0)
            return cs_error_set(err, CS_EIO, "could not write \"%s\": %s", w->path,
                                strerror(errno));
        b += k;
        n -= (size_t)k;
        w->offset += k;
    }
    return CS_OK;
}

static void release_held(struct cs_pq_writer *w)
{
    for (size_t i = 0; i < w->nheld; i++) {
        if (w->held[i].release != NULL) w->held[i].release(&w->held[i]);
    }
    w->nheld = 0;
    w->held_rows = 0;
}

/* The file's leading magic, before anything else. */
static int start_file(struct cs_pq_writer *w, struct cs_error *err)
{
    return w->offset == 0 ? write_all(w, "PAR1", 4, err) : CS_OK;
}

static int flush_group(struct cs_pq_writer *w, struct cs_error *err)
{
    if (w->held_rows == 0) return CS_OK;
    const int src = start_file(w, err);
    if (src != CS_OK) return src;
    if (w->nrgs == w->rgs_cap) {
        const size_t cap = w->rgs_cap ? 2 * w->rgs_cap : 4;
        struct rg_meta *r = realloc(w->rgs, cap * sizeof(*r));
        if (r == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
        w->rgs = r;
        w->rgs_cap = cap;
    }
    struct rg_meta *rg = &w->rgs[w->nrgs];
    memset(rg, 0, sizeof(*rg));
    rg->chunks = calloc(w->ncols, sizeof(*rg->chunks));
    rg->chunk_offset = calloc(w->ncols, sizeof(*rg->chunk_offset));
    if (rg->chunks == NULL || rg->chunk_offset == NULL) {
        free(rg->chunks);
        free(rg->chunk_offset);
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    w->nrgs++;
    rg->rows = (int64_t)w->held_rows;
    rg->offset = w->offset;
    struct ArrowArray *ptrs[1024];
    // NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers
    struct ArrowArray **bp = w->nheld <= 1024 ? ptrs : malloc(w->nheld * sizeof(*bp));
    if (bp == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t i = 0; i < w->nheld; i++)
        bp[i] = &w->held[i];
    int rc = CS_OK;
    for (size_t j = 0; j < w->ncols && rc == CS_OK; j++) {
        struct cs_pq_buf *chunk = &w->scratch->chunk;
        chunk->len = 0;
        chunk->failed = false;
        rg->chunk_offset[j] = w->offset;
        rc = cs_pq_column_chunk(&w->cols[j], j, bp, w->nheld, &w->o, w->scratch, chunk,
                                &rg->chunks[j], err);
        if (rc == CS_OK) rc = write_all(w, chunk->p, chunk->len, err);
        rg->total_uncompressed += rg->chunks[j].uncompressed;
        rg->total_compressed += rg->chunks[j].compressed;
    }
    if (bp != ptrs) free(bp);
    if (rc != CS_OK) cs_error_prefix(err, "%s", w->path);
    w->rows += w->held_rows;
    release_held(w);
    return rc;
}

int cs_pq_write(struct cs_pq_writer *w, struct ArrowArray *batch, struct cs_error *err)
{
    if (batch->n_children != (int64_t)w->ncols || batch->offset != 0) {
        const int rc =
            cs_error_set(err, CS_EINVAL,
                         "%s: a batch of %lld columns (offset %lld), "
                         "the schema has %zu",
                         w->path, (long long)batch->n_children, (long long)batch->offset, w->ncols);
        batch->release(batch);
        return rc;
    }
    for (size_t j = 0; j < w->ncols; j++) {
        const struct ArrowArray *c = batch->children[j];
        if (c->length != batch->length || c->offset != 0 ||
            (w->cols[j].src == CS_PQ_SRC_LIST_UTF8 &&
             (c->n_children != 1 || c->children[0]->offset != 0))) {
            const int rc = cs_error_set(err, CS_EINVAL, "%s: column %s: malformed array", w->path,
                                        w->cols[j].name);
            batch->release(batch);
            return rc;
        }
    }
    if (w->nheld == w->held_cap) {
        const size_t cap = w->held_cap ? 2 * w->held_cap : 16;
        struct ArrowArray *h = realloc(w->held, cap * sizeof(*h));
        if (h == NULL) {
            batch->release(batch);
            return cs_error_set(err, CS_ENOMEM, "out of memory");
        }
        w->held = h;
        w->held_cap = cap;
    }
    w->held[w->nheld++] = *batch; /* moved: the writer releases it */
    batch->release = NULL;
    w->held_rows += (size_t)w->held[w->nheld - 1].length;
    if (w->held_rows >= w->o.row_group_rows) return flush_group(w, err);
    return CS_OK;
}

/* ---- the footer ---- */

static void
schema_leaf(struct cs_thrift *t, const struct cs_pq_col *c, const char *name, int repetition)
{
    cs_thrift_elem_struct(t);
    cs_thrift_i32(t, 1, c->phys);
    cs_thrift_i32(t, 3, repetition);
    cs_thrift_string(t, 4, name);
    static const int converted[] = {
        -1, 16 /* INT_16 */, 6 /* DATE */, 10 /* TIMESTAMP_MICROS */, 5 /* DECIMAL */, 0 /* UTF8 */,
        19 /* JSON */};
    if (c->logical != CS_PQ_LOG_NONE && (c->logical != CS_PQ_LOG_TIMESTAMP || c->utc))
        cs_thrift_i32(t, 6, converted[c->logical]);
    if (c->logical == CS_PQ_LOG_DECIMAL) {
        cs_thrift_i32(t, 7, c->scale);
        cs_thrift_i32(t, 8, c->precision);
    }
    if (c->logical != CS_PQ_LOG_NONE) {
        cs_thrift_struct(t, 10); /* LogicalType, a union */
        switch (c->logical) {
        case CS_PQ_LOG_INT16:
            cs_thrift_struct(t, 10);
            cs_thrift_i8(t, 1, 16);
            cs_thrift_bool(t, 2, true);
            break;
        case CS_PQ_LOG_DATE:
            cs_thrift_struct(t, 6);
            break;
        case CS_PQ_LOG_TIMESTAMP:
            cs_thrift_struct(t, 8);
            cs_thrift_bool(t, 1, c->utc);
            cs_thrift_struct(t, 2); /* TimeUnit */
            cs_thrift_struct(t, 2); /* MICROS */
            cs_thrift_end(t);
            cs_thrift_end(t);
            break;
        case CS_PQ_LOG_DECIMAL:
            cs_thrift_struct(t, 5);
            cs_thrift_i32(t, 1, c->scale);
            cs_thrift_i32(t, 2, c->precision);
            break;
        case CS_PQ_LOG_JSON:
            cs_thrift_struct(t, 12);
            break;
        default:
            cs_thrift_struct(t, 1);
            break; /* STRING */
        }
        cs_thrift_end(t);
        cs_thrift_end(t);
    }
    cs_thrift_end(t);
}

static void schema_group(struct cs_thrift *t,
                         const char *name,
                         int repetition,
                         int children,
                         int converted,
                         int logical_field)
{
    cs_thrift_elem_struct(t);
    if (repetition >= 0) cs_thrift_i32(t, 3, repetition);
    cs_thrift_string(t, 4, name);
    cs_thrift_i32(t, 5, children);
    if (converted >= 0) cs_thrift_i32(t, 6, converted);
    if (logical_field > 0) {
        cs_thrift_struct(t, 10);
        cs_thrift_struct(t, (int16_t)logical_field);
        cs_thrift_end(t);
        cs_thrift_end(t);
    }
    cs_thrift_end(t);
}

static size_t schema_elements(const struct cs_pq_writer *w)
{
    size_t n = 1;
    for (size_t j = 0; j < w->ncols; j++)
        n += w->cols[j].src == CS_PQ_SRC_LIST_UTF8 ? 3 : 1;
    return n;
}

enum { REQUIRED = 0, OPTIONAL = 1, REPEATED = 2 };

static void write_schema(struct cs_thrift *t, const struct cs_pq_writer *w)
{
    cs_thrift_list(t, 2, CS_TC_STRUCT, schema_elements(w));
    schema_group(t, "schema", -1, (int)w->ncols, -1, 0);
    for (size_t j = 0; j < w->ncols; j++) {
        const struct cs_pq_col *c = &w->cols[j];
        if (c->src != CS_PQ_SRC_LIST_UTF8) {
            schema_leaf(t, c, c->name, c->optional ? OPTIONAL : REQUIRED);
            continue;
        }
        /* LogicalTypes.md's three-level list: <name> (LIST) / repeated group list / element */
        schema_group(t, c->name, c->optional ? OPTIONAL : REQUIRED, 1, 3 /* LIST */, 3);
        schema_group(t, "list", REPEATED, 1, -1, 0);
        schema_leaf(t, c, "element", OPTIONAL);
    }
}

static void write_stats(struct cs_thrift *t, const struct cs_pq_chunk *m)
{
    if (m->null_count < 0 && !m->has_minmax) return;
    cs_thrift_struct(t, 12);
    if (m->null_count >= 0) cs_thrift_i64(t, 3, m->null_count);
    if (m->has_minmax) {
        cs_thrift_binary(t, 5, m->max, m->max_len);
        cs_thrift_binary(t, 6, m->min, m->min_len);
    }
    cs_thrift_end(t);
}

static void
write_chunk(struct cs_thrift *t, const struct cs_pq_col *c, const struct cs_pq_chunk *m, int64_t at)
{
    cs_thrift_elem_struct(t); /* ColumnChunk */
    cs_thrift_i64(t, 2, at);
    cs_thrift_struct(t, 3); /* ColumnMetaData */
    cs_thrift_i32(t, 1, c->phys);
    cs_thrift_list(t, 2, CS_TC_I32, (size_t)m->nencodings);
    for (int k = 0; k < m->nencodings; k++)
        cs_thrift_elem_i32(t, m->encodings[k]);
    const bool list = c->src == CS_PQ_SRC_LIST_UTF8;
    cs_thrift_list(t, 3, CS_TC_BINARY, list ? 3 : 1);
    cs_thrift_elem_string(t, c->name);
    if (list) {
        cs_thrift_elem_string(t, "list");
        cs_thrift_elem_string(t, "element");
    }
    cs_thrift_i32(t, 4, m->codec);
    cs_thrift_i64(t, 5, m->num_values);
    cs_thrift_i64(t, 6, m->uncompressed);
    cs_thrift_i64(t, 7, m->compressed);
    cs_thrift_i64(t, 9, at + m->data_offset);
    if (m->dict_offset >= 0) cs_thrift_i64(t, 11, at + m->dict_offset);
    write_stats(t, m);
    cs_thrift_end(t);
    cs_thrift_end(t);
}

static void write_row_groups(struct cs_thrift *t, const struct cs_pq_writer *w)
{
    cs_thrift_list(t, 4, CS_TC_STRUCT, w->nrgs);
    for (size_t g = 0; g < w->nrgs; g++) {
        const struct rg_meta *rg = &w->rgs[g];
        cs_thrift_elem_struct(t);
        cs_thrift_list(t, 1, CS_TC_STRUCT, w->ncols);
        for (size_t j = 0; j < w->ncols; j++)
            write_chunk(t, &w->cols[j], &rg->chunks[j], rg->chunk_offset[j]);
        cs_thrift_i64(t, 2, rg->total_uncompressed);
        cs_thrift_i64(t, 3, rg->rows);
        cs_thrift_i64(t, 5, rg->offset);
        cs_thrift_i64(t, 6, rg->total_compressed);
        cs_thrift_i16(t, 7, (int16_t)(g < INT16_MAX ? g : INT16_MAX));
        cs_thrift_end(t);
    }
}

static int write_footer(struct cs_pq_writer *w, struct cs_error *err)
{
    struct cs_pq_buf b = {0};
    struct cs_thrift t;
    cs_thrift_begin(&t, &b);
    cs_thrift_i32(&t, 1, 2); /* version */
    write_schema(&t, w);
    cs_thrift_i64(&t, 3, (int64_t)w->rows);
    write_row_groups(&t, w);
    cs_thrift_string(&t, 6, w->o.created_by != NULL ? w->o.created_by : "colstore");
    cs_thrift_list(&t, 7, CS_TC_STRUCT, w->ncols); /* column_orders: TYPE_ORDER for each */
    for (size_t j = 0; j < w->ncols; j++) {
        cs_thrift_elem_struct(&t);
        cs_thrift_struct(&t, 1);
        cs_thrift_end(&t);
        cs_thrift_end(&t);
    }
    cs_thrift_end(&t);
    cs_pq_buf_u32le(&b, (uint32_t)b.len);
    cs_pq_buf_put(&b, "PAR1", 4);
    int rc = b.failed ? cs_error_set(err, CS_ENOMEM, "out of memory") : CS_OK;
    if (rc == CS_OK) rc = write_all(w, b.p, b.len, err);
    cs_pq_buf_free(&b);
    return rc;
}

int cs_pq_finish(struct cs_pq_writer *w, struct cs_pq_file_stats *st, struct cs_error *err)
{
    int rc = start_file(w, err);
    if (rc == CS_OK) rc = flush_group(w, err);
    if (rc == CS_OK) rc = write_footer(w, err);
    if (rc == CS_OK && st != NULL)
        *st = (struct cs_pq_file_stats){w->rows, w->nrgs, (uint64_t)w->offset};
    return rc;
}

void cs_pq_free(struct cs_pq_writer *w)
{
    if (w == NULL) return;
    release_held(w);
    free(w->held);
    for (size_t g = 0; g < w->nrgs; g++) {
        free(w->rgs[g].chunks);
        free(w->rgs[g].chunk_offset);
    }
    free(w->rgs);
    free(w->cols);
    if (w->own_scratch) cs_pq_scratch_free(w->scratch);
    free(w);
}
