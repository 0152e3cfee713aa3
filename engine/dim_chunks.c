/* A dimension changed a chunk at a time (see dim_chunks.h). */
#include "engine/dim_chunks.h"

#include <stdlib.h>
#include <string.h>

static int oom(struct cs_error *err)
{
    return cs_error_set(err, CS_ENOMEM, "out of memory");
}

int cs_dimc_open(struct cs_snap *snap, int table, struct cs_dimc *d, struct cs_error *err)
{
    memset(d, 0, sizeof(*d));
    d->snap = snap;
    d->t = cs_schema_table(table);
    cs_batch_init(&d->added, d->t);
    d->nchunks = cs_snap_part_count(snap, table);
    d->chunks = calloc(d->nchunks + 1, sizeof(*d->chunks));
    if (d->chunks == NULL || !cs_hmap_init(&d->names, true, 1024)) return oom(err);
    int64_t max = 0;
    int rc = CS_OK;
    for (size_t i = 0; i < d->nchunks && rc == CS_OK; i++) {
        struct cs_dimc_chunk *c = &d->chunks[i];
        const struct cs_part_info p = cs_snap_part(snap, table, i);
        c->part = i;
        c->seq = p.seq;
        c->rows = p.rows;
        cs_batch_init(&c->b, d->t);
        struct cs_seg_stats k;
        rc = cs_snap_col_stats(snap, table, i, d->t->key_col, &k, err);
        if (rc == CS_OK && k.rows > k.null_count && k.max > max) max = k.max;
        if (rc == CS_OK) rc = cs_snap_key_filter(snap, table, i, &c->filter, &c->has_filter, err);
    }
    d->next_key = max + 1;
    return rc;
}

void cs_dimc_free(struct cs_dimc *d)
{
    for (size_t i = 0; d->chunks != NULL && i < d->nchunks; i++)
        cs_batch_free(&d->chunks[i].b);
    free(d->chunks);
    d->chunks = NULL;
    if (d->names.cap != 0) cs_hmap_free(&d->names);
    memset(&d->names, 0, sizeof(d->names));
    if (d->t != NULL) cs_batch_free(&d->added);
}

/* name() - read chunk i's natural keys and index them (the map's strings point into the
 * column, which is never changed afterwards). */
static int name(struct cs_dimc *d, size_t i, struct cs_error *err)
{
    struct cs_dimc_chunk *c = &d->chunks[i];
    struct cs_col *names = &c->b.cols[d->t->name_col];
    int rc = cs_snap_read_col(d->snap, d->t->id, c->part, d->t->name_col, names, err);
    if (rc != CS_OK) return rc;
    c->named = true;
    d->named++;
    for (size_t r = 0; r < names->len; r++) {
        size_t len;
        const char *s = cs_col_str(names, r, &len);
        if (!cs_hmap_put_str(&d->names, s, len, (uint64_t)i << 32 | r)) return oom(err);
    }
    return CS_OK;
}

/* load() - the other columns of named chunk i. */
static int load(struct cs_dimc *d, size_t i, struct cs_error *err)
{
    struct cs_dimc_chunk *c = &d->chunks[i];
    int rc = CS_OK;
    for (int col = 0; col < d->t->ncols && rc == CS_OK; col++) {
        if (col != d->t->name_col)
            rc = cs_snap_read_col(d->snap, d->t->id, c->part, col, &c->b.cols[col], err);
    }
    if (rc != CS_OK) return rc;
    c->b.rows = c->rows;
    c->loaded = true;
    d->loaded++;
    cs_snap_release_part(d->snap, d->t->id, c->part); /* decoded: its pages are not needed */
    return CS_OK;
}

static void row_of(struct cs_dimc *d, uint64_t v, struct cs_dimc_row *out)
{
    out->chunk = (size_t)(v >> 32);
    out->row = (size_t)(v & 0xffffffffu);
    out->rows = out->chunk == d->nchunks ? &d->added : &d->chunks[out->chunk].b;
}

int cs_dimc_find(struct cs_dimc *d,
                 const char *s,
                 size_t len,
                 struct cs_dimc_row *out,
                 bool *found,
                 struct cs_error *err)
{
    const uint64_t *v = cs_hmap_get_str(&d->names, s, len);
    if (v == NULL) { /* read the chunks that may hold it (each once) */
        const uint64_t h = cs_kf_hash(s, len);
        bool more = false;
        for (size_t i = 0; i < d->nchunks; i++) {
            struct cs_dimc_chunk *c = &d->chunks[i];
            if (c->named || (c->has_filter && !cs_kf_may_contain(&c->filter, h))) continue;
            int rc = name(d, i, err);
            if (rc != CS_OK) return rc;
            more = true;
        }
        if (more) v = cs_hmap_get_str(&d->names, s, len);
    }
    *found = v != NULL;
    if (v == NULL) return CS_OK;
    const size_t chunk = (size_t)(*v >> 32);
    if (chunk < d->nchunks && !d->chunks[chunk].loaded) {
        int rc = load(d, chunk, err);
        if (rc != CS_OK) return rc;
    }
    row_of(d, *v, out);
    return CS_OK;
}

int cs_dimc_add(struct cs_dimc *d, struct cs_dimc_row *out)
{
    out->chunk = d->nchunks;
    out->row = d->added.rows;
    out->rows = &d->added;
    return CS_OK;
}

int cs_dimc_added(struct cs_dimc *d, const char *s, size_t len, struct cs_error *err)
{
    const size_t row = d->added.rows++;
    d->next_key++;
    if (!cs_hmap_put_str(&d->names, s, len, (uint64_t)d->nchunks << 32 | row)) return oom(err);
    return CS_OK;
}

void cs_dimc_dirty(struct cs_dimc *d, const struct cs_dimc_row *r)
{
    if (r->chunk < d->nchunks) d->chunks[r->chunk].dirty = true;
}

bool cs_dimc_changed(const struct cs_dimc *d)
{
    if (d->added.rows > 0) return true;
    for (size_t i = 0; i < d->nchunks; i++) {
        if (d->chunks[i].dirty) return true;
    }
    return false;
}

/* put_pieces() - rows [from, n) of b in pieces of CS_DIM_CHUNK_ROWS: the first as `first`
 * (a row group number, CS_WRITE_PART or CS_WRITE_APPEND), the others appended after it. */
static int put_pieces(struct cs_session *s,
                      const struct cs_table_def *t,
                      struct cs_batch *b,
                      int32_t first,
                      struct cs_error *err)
{
    if (b->rows <= CS_DIM_CHUNK_ROWS) return cs_session_put_group(s, t->id, 0, first, b, err);
    int rc = CS_OK;
    for (size_t from = 0; from < b->rows && rc == CS_OK; from += CS_DIM_CHUNK_ROWS) {
        const size_t n = b->rows - from < CS_DIM_CHUNK_ROWS ? b->rows - from : CS_DIM_CHUNK_ROWS;
        struct cs_batch piece;
        cs_batch_init(&piece, t);
        if (!cs_batch_append_range(&piece, b, from, n)) rc = oom(err);
        if (rc == CS_OK)
            rc =
                cs_session_put_group(s, t->id, 0, from == 0 ? first : CS_WRITE_APPEND, &piece, err);
        cs_batch_free(&piece);
    }
    cs_batch_free(b);
    cs_batch_init(b, t);
    return rc;
}

int cs_session_put_dim(struct cs_session *s, int table, struct cs_batch *rows, struct cs_error *err)
{
    return put_pieces(s, cs_schema_table(table), rows, CS_WRITE_PART, err);
}

/* rechunk() - every row of the dimension (chunks read as needed) put again as chunks: when a
 * large chunk without a filter (format 1, or one row group of a bulk load of old) changes. */
static int rechunk(struct cs_session *s, struct cs_dimc *d, struct cs_error *err)
{
    struct cs_batch all;
    cs_batch_init(&all, d->t);
    int rc = CS_OK;
    for (size_t i = 0; i < d->nchunks && rc == CS_OK; i++) {
        if (!d->chunks[i].named) rc = name(d, i, err);
        if (rc == CS_OK && !d->chunks[i].loaded) rc = load(d, i, err);
        const struct cs_batch *b = &d->chunks[i].b;
        if (rc == CS_OK && !cs_batch_append_range(&all, b, 0, b->rows)) rc = oom(err);
    }
    if (rc == CS_OK && !cs_batch_append_range(&all, &d->added, 0, d->added.rows)) rc = oom(err);
    if (rc == CS_OK) rc = cs_session_put_dim(s, d->t->id, &all, err);
    cs_batch_free(&all);
    return rc;
}

int cs_dimc_put(struct cs_session *s, struct cs_dimc *d, struct cs_error *err)
{
    for (size_t i = 0; i < d->nchunks; i++) {
        const struct cs_dimc_chunk *c = &d->chunks[i];
        if (c->dirty && !c->has_filter && c->rows > 2 * CS_DIM_CHUNK_ROWS)
            return rechunk(s, d, err);
    }
    int rc = CS_OK;
    for (size_t i = 0; i < d->nchunks && rc == CS_OK; i++) {
        struct cs_dimc_chunk *c = &d->chunks[i];
        if (c->dirty) rc = cs_session_put_group(s, d->t->id, 0, (int32_t)c->seq, &c->b, err);
    }
    if (rc == CS_OK && d->added.rows > 0) rc = put_pieces(s, d->t, &d->added, CS_WRITE_APPEND, err);
    return rc;
}
