/*
 * Reading columns of a snapshot's partitions (store.h): the checked block header of a
 * partition, zone maps, decoding a column, and column views in place over the mapping
 * (store_map.c) or, for CS_OPEN_PREAD handles, over bytes read with pread (store_pread.c).
 */
#include "storage/store_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "storage/base/schema.h"
#include "storage/key_filter.h"
#include "storage/segment.h"

int cs_part_filter_check(const uint8_t *blk,
                         const uint8_t *cols,
                         const struct cs_mpart *p,
                         const char *file,
                         struct cs_error *err)
{
    if (!(blk[6] & CS_BLK_KEY_FILTER)) return CS_OK;
    const uint64_t off = cs_part_filter_off(cols, p->ncols); /* <= len: header check */
    struct cs_key_filter f;
    if (cs_kf_parse(blk + off, (size_t)(p->len - off), &f)) return CS_OK;
    const struct cs_table_def *t = cs_schema_table(p->table);
    return cs_error_set(err, CS_ECORRUPT,
                        "%s: partition %s/%" PRId32 " at offset %" PRIu64 ": key filter damaged",
                        file, t->name, p->time_key, p->off);
}

/* locate() - the checked block header of partition i of table and its column directory. */
static int locate(struct cs_snap *snap,
                  int table,
                  size_t i,
                  int col,
                  const struct cs_mpart **part,
                  const uint8_t **blk,
                  const uint8_t **cols,
                  char path[CS_PATH_MAX],
                  struct cs_error *err)
{
    if (i >= cs_snap_part_count(snap, table)) {
        return cs_error_set(err, CS_EINVAL, "no partition %zu in table %d", i, table);
    }
    const struct cs_mpart *p = &snap->m->parts[snap->m->first[table] + i];
    if (col < 0 || col >= p->ncols) {
        return cs_error_set(err, CS_EINVAL, "no column %d in table %d", col, table);
    }
    const char *file;
    int rc = cs_snap_block(snap, p, blk, &file, path, err);
    if (rc != CS_OK) return rc;
    *part = p;
    const size_t pi = snap->m->first[table] + i;
    if (atomic_load_explicit(&snap->header_ok[pi], memory_order_acquire)) {
        *cols = *blk + CS_PART_FIXED_SIZE; /* as cs_part_header_check() found it */
        return CS_OK;
    }
    rc = cs_part_header_check(*blk, (size_t)p->len, p, file, cols, err);
    if (rc == CS_OK) rc = cs_part_filter_check(*blk, *cols, p, file, err);
    if (rc == CS_OK) atomic_store_explicit(&snap->header_ok[pi], 1, memory_order_release);
    return rc;
}

int cs_snap_col_stats(struct cs_snap *snap,
                      int table,
                      size_t i,
                      int col,
                      struct cs_seg_stats *out,
                      struct cs_error *err)
{
    const struct cs_mpart *p = NULL;
    const uint8_t *blk = NULL, *cols = NULL;
    char path[CS_PATH_MAX];
    int rc = locate(snap, table, i, col, &p, &blk, &cols, path, err);
    if (rc != CS_OK) return rc;
    uint64_t off, len;
    cs_part_col(cols, col, &off, &len, out);
    return CS_OK;
}

/* header_ranges() - the ranges of row group i from its block header. */
static int header_ranges(
    struct cs_snap *snap, int table, size_t i, struct cs_part_ranges *out, struct cs_error *err)
{
    const struct cs_table_def *t = cs_schema_table(table);
    struct cs_seg_stats st;
    *out = (struct cs_part_ranges){INT64_MAX, INT64_MIN, INT64_MAX, INT64_MIN};
    int rc = cs_snap_col_stats(snap, table, i, t->key_col, &st, err);
    if (rc == CS_OK && st.rows > st.null_count) {
        out->key_min = st.min;
        out->key_max = st.max;
    }
    if (rc == CS_OK && t->src_col >= 0)
        rc = cs_snap_col_stats(snap, table, i, t->src_col, &st, err);
    if (rc == CS_OK && t->src_col >= 0 && st.rows > st.null_count) {
        out->id_min = st.min;
        out->id_max = st.max;
    }
    return rc;
}

int cs_snap_part_ranges(
    struct cs_snap *snap, int table, size_t i, struct cs_part_ranges *out, struct cs_error *err)
{
    if (i >= cs_snap_part_count(snap, table)) {
        return cs_error_set(err, CS_EINVAL, "no partition %zu in table %d", i, table);
    }
    const struct cs_mpart *p = &snap->m->parts[snap->m->first[table] + i];
    if (!p->has_ranges) return header_ranges(snap, table, i, out, err);
    *out = (struct cs_part_ranges){p->key_min, p->key_max, p->id_min, p->id_max};
    return CS_OK;
}

int cs_snap_read_col(
    struct cs_snap *snap, int table, size_t i, int col, struct cs_col *out, struct cs_error *err)
{
    const struct cs_mpart *p = NULL;
    const uint8_t *blk = NULL, *cols = NULL;
    char path[CS_PATH_MAX];
    int rc = locate(snap, table, i, col, &p, &blk, &cols, path, err);
    if (rc != CS_OK) return rc;
    const struct cs_table_def *t = cs_schema_table(table);
    if (out->kind != cs_type_kind(t->cols[col].type)) {
        return cs_error_set(err, CS_EINVAL, "%s.%s: column of kind %d read into kind %d", t->name,
                            t->cols[col].name, cs_type_kind(t->cols[col].type), out->kind);
    }
    uint64_t off, len;
    struct cs_seg_stats stats;
    cs_part_col(cols, col, &off, &len, &stats);
    rc = cs_seg_decode_rows(blk + off, (size_t)len, p->rows, out, path, err);
    if (rc != CS_OK) return rc;
    if (out->len != p->rows) {
        return cs_error_set(err, CS_ECORRUPT,
                            "%s: %s/%" PRId32 " column %s has %zu rows, not %" PRIu32, path,
                            t->name, p->time_key, t->cols[col].name, out->len, p->rows);
    }
    return CS_OK;
}

int cs_snap_read_part(
    struct cs_snap *snap, int table, size_t i, struct cs_batch *b, struct cs_error *err)
{
    if (b->table == NULL || b->table->id != table) {
        return cs_error_set(err, CS_EINVAL, "batch is not of table %d", table);
    }
    cs_batch_reset(b);
    for (int c = 0; c < b->table->ncols; c++) {
        int rc = cs_snap_read_col(snap, table, i, c, &b->cols[c], err);
        if (rc != CS_OK) {
            cs_batch_reset(b);
            return rc;
        }
    }
    b->rows = cs_snap_part(snap, table, i).rows;
    return CS_OK;
}

int cs_snap_read_day_cols(struct cs_snap *snap,
                          int table,
                          int32_t time_key,
                          const int8_t *cols,
                          size_t ncols,
                          struct cs_batch *b,
                          struct cs_error *err)
{
    cs_batch_reset(b);
    size_t first, end;
    cs_snap_part_range(snap, table, time_key, time_key, &first, &end);
    if (first == end) return CS_OK;
    int c[CS_MAX_COLS];
    if (ncols > CS_MAX_COLS) return cs_error_set(err, CS_EINVAL, "%zu columns", ncols);
    for (size_t i = 0; i < ncols; i++)
        c[i] = cols[i];
    const int rc = cs_snap_read_groups(snap, table, first, end, c, ncols, b, err);
    for (size_t i = first; i < end; i++)
        cs_snap_release_part(snap, table, i); /* decoded: its pages are not needed */
    return rc;
}

int cs_snap_read_groups(struct cs_snap *snap,
                        int table,
                        size_t first,
                        size_t end,
                        const int *cols,
                        size_t ncols,
                        struct cs_batch *b,
                        struct cs_error *err)
{
    if (b->table == NULL || b->table->id != table) {
        return cs_error_set(err, CS_EINVAL, "batch is not of table %d", table);
    }
    cs_batch_reset(b);
    const int ncol = cols != NULL ? (int)ncols : b->table->ncols;
    struct cs_col one;
    int rc = CS_OK;
    for (int j = 0; j < ncol && rc == CS_OK; j++) {
        const int c = cols != NULL ? cols[j] : j;
        if (c < 0 || c >= b->table->ncols) {
            rc = cs_error_set(err, CS_EINVAL, "no column %d in table %d", c, table);
            break;
        }
        struct cs_col *out = &b->cols[c];
        if (end - first == 1) { /* one group: straight into the batch */
            rc = cs_snap_read_col(snap, table, first, c, out, err);
            continue;
        }
        cs_col_init(&one, out->kind);
        for (size_t i = first; i < end && rc == CS_OK; i++) {
            rc = cs_snap_read_col(snap, table, i, c, &one, err);
            if (rc == CS_OK && !cs_col_append_range(out, &one, 0, one.len))
                rc = cs_error_set(err, CS_ENOMEM, "out of memory");
        }
        cs_col_free(&one);
    }
    b->rows = 0;
    for (size_t i = first; rc == CS_OK && i < end; i++)
        b->rows += cs_snap_part(snap, table, i).rows;
    if (rc != CS_OK) cs_batch_reset(b);
    return rc;
}

int cs_snap_block_checked(struct cs_snap *snap,
                          int table,
                          size_t i,
                          const struct cs_mpart **part,
                          const uint8_t **blk,
                          struct cs_error *err)
{
    const uint8_t *cols = NULL;
    char path[CS_PATH_MAX];
    int rc = locate(snap, table, i, 0, part, blk, &cols, path, err);
    for (int c = 0; rc == CS_OK && c < (*part)->ncols; c++) {
        uint64_t off, len;
        struct cs_seg_stats st;
        cs_part_col(cols, c, &off, &len, &st);
        rc = cs_seg_check(*blk + off, (size_t)len, path, err);
    }
    return rc;
}

int cs_snap_key_filter(struct cs_snap *snap,
                       int table,
                       size_t i,
                       struct cs_key_filter *f,
                       bool *present,
                       struct cs_error *err)
{
    const struct cs_mpart *p = NULL;
    const uint8_t *blk = NULL, *cols = NULL;
    char path[CS_PATH_MAX];
    *present = false;
    int rc = locate(snap, table, i, 0, &p, &blk, &cols, path, err);
    if (rc != CS_OK || !(blk[6] & CS_BLK_KEY_FILTER)) return rc;
    /* checked with the header (locate) */
    const uint64_t off = cs_part_filter_off(cols, p->ncols);
    f->blocks = blk + off + 8;
    f->nblocks = cs_get_u32(blk + off);
    *present = true;
    return CS_OK;
}

/* ------------------------------------------------------------------ CS_OPEN_PREAD reads */

int cs_snap_view_col(struct cs_snap *snap,
                     int table,
                     size_t i,
                     int col,
                     int kind,
                     struct cs_seg_view *v,
                     struct cs_error *err)
{
    if (snap->pread) return cs_snap_view_pread(snap, table, i, col, kind, v, err);
    const struct cs_mpart *p = NULL;
    const uint8_t *blk = NULL, *cols = NULL;
    char path[CS_PATH_MAX];
    int rc = locate(snap, table, i, col, &p, &blk, &cols, path, err);
    if (rc != CS_OK) return rc;
    const struct cs_table_def *t = cs_schema_table(table);
    if (kind != cs_type_kind(t->cols[col].type)) {
        return cs_error_set(err, CS_EINVAL, "%s.%s: column of kind %d read as kind %d", t->name,
                            t->cols[col].name, cs_type_kind(t->cols[col].type), kind);
    }
    uint64_t off, len;
    struct cs_seg_stats stats;
    cs_part_col(cols, col, &off, &len, &stats);
    const size_t plen = strnlen(path, sizeof(v->file) - 1);
    memcpy(v->file, path, plen);
    v->file[plen] = '\0';
    struct cs_smap *sm = snap->maps[p->file].smap;
    const uint64_t at = p->off + off;
    const bool trusted = cs_smap_checked(sm, at);
    rc = cs_seg_rows_claim(blk + off, (size_t)len, p->rows, path, err);
    if (rc != CS_OK) return rc;
    rc = trusted ? cs_seg_view_open_trusted(blk + off, (size_t)len, kind, v, path, err)
                 : cs_seg_view_open(blk + off, (size_t)len, kind, v, path, err);
    if (rc != CS_OK) return rc;
    if (!trusted) {
        cs_store_kill_point("view-checksum"); /* tests count the checksums computed */
        cs_smap_set_checked(sm, at);
    }
    if (v->rows != p->rows) {
        return cs_error_set(err, CS_ECORRUPT,
                            "%s: %s/%" PRId32 " column %s has %zu rows, not %" PRIu32, path,
                            t->name, p->time_key, t->cols[col].name, v->rows, p->rows);
    }
    return CS_OK;
}

/* ------------------------------------------------------------------ what `info` shows */

int cs_snap_col_header(struct cs_snap *snap,
                       int table,
                       size_t i,
                       int col,
                       uint8_t out[64],
                       uint64_t *len,
                       struct cs_error *err)
{
    if (snap->pread) return cs_snap_col_header_pread(snap, table, i, col, out, len, err);
    const struct cs_mpart *p = NULL;
    const uint8_t *blk = NULL, *cols = NULL;
    char path[CS_PATH_MAX];
    int rc = locate(snap, table, i, col, &p, &blk, &cols, path, err);
    if (rc != CS_OK) return rc;
    uint64_t off;
    struct cs_seg_stats stats;
    cs_part_col(cols, col, &off, len, &stats);
    if (*len < CS_SEG_HEADER_SIZE)
        return cs_error_set(err, CS_ECORRUPT, "%s: segment of %" PRIu64 " bytes", path, *len);
    memcpy(out, blk + off, CS_SEG_HEADER_SIZE);
    return CS_OK;
}

int64_t cs_snap_file_time(const struct cs_snap *snap, uint64_t file_id)
{
    /* a data file never changes once committed: stat it once per snapshot (a planner asks
     * for every partition's, hundreds of times the same few files) */
    uint32_t f = 0;
    while (f < snap->m->nfiles && snap->m->files[f].id != file_id)
        f++;
    if (f < snap->m->nfiles) {
        const int64_t t = atomic_load_explicit(&snap->maps[f].mtime_us, memory_order_relaxed);
        if (t != 0) return t;
    }
    char name[64];
    cs_sio_data_file(name, file_id);
    struct stat sb;
    if (!cs_sio_statat(snap->st->ddfd, name, &sb)) return 0;
    const int64_t t = (int64_t)sb.st_mtim.tv_sec * 1000000 + sb.st_mtim.tv_nsec / 1000;
    if (f < snap->m->nfiles)
        atomic_store_explicit(&snap->maps[f].mtime_us, t, memory_order_relaxed);
    return t;
}

int cs_snap_disk(const struct cs_snap *snap, struct cs_snap_disk *out, struct cs_error *err)
{
    memset(out, 0, sizeof(*out));
    out->format = snap->m->format != 0 ? snap->m->format : CS_MAN_FORMAT; /* 1: until a commit */
    for (uint32_t f = 0; f < snap->m->nfiles; f++)
        out->data_bytes += snap->m->files[f].size;
    if (snap->pin_fd < 0) return CS_OK;
    struct stat sb;
    if (fstat(snap->pin_fd, &sb) != 0)
        return cs_error_set(err, CS_EIO, "%s: manifest: %s", snap->st->dir, strerror(errno));
    out->manifest_bytes = (uint64_t)sb.st_size;
    out->committed_us = (int64_t)sb.st_mtim.tv_sec * 1000000 + sb.st_mtim.tv_nsec / 1000;
    return CS_OK;
}
