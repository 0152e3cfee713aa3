/*
 * The pread path of CS_OPEN_PREAD handles (store.h): column views read with pread() into the
 * views' own buffers instead of mapping the data files. Each data file is opened and checked
 * once per snapshot (size, header), each block header read and checked once per snapshot.
 */
#include "storage/store_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/base/schema.h"
#include "storage/segment.h"

/* pread_fd() - data file fi opened for reading (once per snapshot, under map_mu): its size
 * and header checked as map_locked() checks a mapping. */
static int pread_fd(struct cs_snap *snap, uint32_t fi, int *out, struct cs_error *err)
{
    *out = atomic_load_explicit(&snap->maps[fi].fd, memory_order_acquire);
    if (*out >= 0) return CS_OK;
    char path[CS_PATH_MAX];
    cs_snap_data_path(snap, fi, path);
    (void)pthread_mutex_lock(&snap->map_mu);
    int rc = CS_OK, fd = atomic_load_explicit(&snap->maps[fi].fd, memory_order_acquire);
    if (fd < 0) {
        const struct cs_mfile *f = &snap->m->files[fi];
        char name[64];
        cs_sio_data_file(name, f->id);
        bool missing = false;
        struct cs_store *st = snap->st;
        rc = cs_sio_openat(st->ddfd, st->data_dir, name, CS_SIO_READ_FILE, &fd, &missing, err);
        if (rc != CS_OK && missing)
            rc = cs_error_set(err, CS_ECORRUPT, "%s: data file is missing", path);
        struct stat sb;
        uint8_t hdr[CS_DATA_HEADER_SIZE];
        if (rc == CS_OK) rc = cs_sio_fstat(fd, path, &sb, err);
        if (rc == CS_OK && (uint64_t)sb.st_size != f->size) {
            rc = cs_error_set(err, CS_ECORRUPT,
                              "%s: data file is %lld bytes, manifest says %" PRIu64, path,
                              (long long)sb.st_size, f->size);
        }
        if (rc == CS_OK) rc = cs_sio_pread_all(fd, hdr, sizeof(hdr), 0, path, err);
        if (rc == CS_OK) rc = cs_data_header_check(hdr, (size_t)f->size, f->id, path, err);
        if (rc == CS_OK) {
            atomic_store_explicit(&snap->maps[fi].fd, fd, memory_order_release);
        } else if (fd >= 0) {
            (void)close(fd);
            fd = -1;
        }
    }
    (void)pthread_mutex_unlock(&snap->map_mu);
    *out = fd;
    return rc;
}

/* pread_header() - the checked block header of partition pi (read once per snapshot; racing
 * readers keep the first copy installed). */
static int
pread_header(struct cs_snap *snap, size_t pi, int fd, const uint8_t **cols, struct cs_error *err)
{
    uint8_t *h = atomic_load_explicit(&snap->headers[pi], memory_order_acquire);
    if (h != NULL) {
        *cols = h + CS_PART_FIXED_SIZE;
        return CS_OK;
    }
    const struct cs_mpart *p = &snap->m->parts[pi];
    const size_t hl = CS_PART_FIXED_SIZE + (size_t)p->ncols * CS_PART_COL_SIZE + 8;
    char path[CS_PATH_MAX];
    cs_snap_data_path(snap, p->file, path);
    if (p->len < hl) {
        return cs_error_set(err, CS_ECORRUPT, "%s: partition at offset %" PRIu64 ": bad magic",
                            path, p->off);
    }
    h = malloc(hl);
    if (h == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
    int rc = cs_sio_pread_all(fd, h, hl, p->off, path, err);
    const uint8_t *c = NULL;
    if (rc == CS_OK) rc = cs_part_header_check(h, (size_t)p->len, p, path, &c, err);
    if (rc == CS_OK && (h[6] & CS_BLK_KEY_FILTER)) { /* a dimension's: read and check it too */
        const uint64_t off = cs_part_filter_off(c, p->ncols);
        uint8_t *blk = malloc((size_t)p->len);
        if (blk == NULL) rc = cs_error_set(err, CS_ENOMEM, "out of memory");
        if (rc == CS_OK) {
            memcpy(blk, h, hl);
            rc = cs_sio_pread_all(fd, blk + off, (size_t)(p->len - off), p->off + off, path, err);
        }
        if (rc == CS_OK) rc = cs_part_filter_check(blk, blk + CS_PART_FIXED_SIZE, p, path, err);
        free(blk);
    }
    uint8_t *expected = NULL;
    if (rc != CS_OK || !atomic_compare_exchange_strong(&snap->headers[pi], &expected, h)) {
        free(h);
        if (rc != CS_OK) return rc;
        h = expected; /* another reader installed the same bytes first */
    }
    *cols = h + CS_PART_FIXED_SIZE;
    return CS_OK;
}

/* pread_segment() - the bytes of column col of partition pi (p) read into *buf, grown to
 * *cap when shorter; *len gets their count, path the data file's path. */
static int pread_segment(struct cs_snap *snap,
                         const struct cs_mpart *p,
                         size_t pi,
                         int col,
                         uint8_t **buf,
                         size_t *cap,
                         uint64_t *len,
                         char path[CS_PATH_MAX],
                         struct cs_error *err)
{
    cs_snap_data_path(snap, p->file, path);
    int fd;
    int rc = pread_fd(snap, p->file, &fd, err);
    const uint8_t *cols = NULL;
    if (rc == CS_OK) rc = pread_header(snap, pi, fd, &cols, err);
    if (rc != CS_OK) return rc;
    uint64_t off;
    struct cs_seg_stats stats;
    cs_part_col(cols, col, &off, len, &stats);
    if (*len > *cap) {
        uint8_t *b = malloc((size_t)*len);
        if (b == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
        free(*buf);
        *buf = b;
        *cap = (size_t)*len;
    }
    return cs_sio_pread_all(fd, *buf, (size_t)*len, p->off + off, path, err);
}

/* The pread path of cs_snap_view_col(): the segment's bytes into v->raw, then opened (and its
 * checksum verified) there. */
static int view_col_pread(struct cs_snap *snap,
                          const struct cs_mpart *p,
                          size_t pi,
                          int col,
                          int kind,
                          struct cs_seg_view *v,
                          struct cs_error *err)
{
    char path[CS_PATH_MAX];
    uint64_t len = 0;
    const int rc = pread_segment(snap, p, pi, col, &v->raw, &v->raw_cap, &len, path, err);
    if (rc != CS_OK) return rc;
    const size_t plen = strnlen(path, sizeof(v->file) - 1);
    memcpy(v->file, path, plen);
    v->file[plen] = '\0';
    const int crc = cs_seg_rows_claim(v->raw, (size_t)len, p->rows, path, err);
    return crc != CS_OK ? crc : cs_seg_view_open(v->raw, (size_t)len, kind, v, path, err);
}

int cs_snap_view_pread(struct cs_snap *snap,
                       int table,
                       size_t i,
                       int col,
                       int kind,
                       struct cs_seg_view *v,
                       struct cs_error *err)
{
    if (i >= cs_snap_part_count(snap, table))
        return cs_error_set(err, CS_EINVAL, "no partition %zu in table %d", i, table);
    const size_t pi = snap->m->first[table] + i;
    const struct cs_mpart *p = &snap->m->parts[pi];
    const struct cs_table_def *t = cs_schema_table(table);
    if (col < 0 || col >= p->ncols)
        return cs_error_set(err, CS_EINVAL, "no column %d in table %d", col, table);
    if (kind != cs_type_kind(t->cols[col].type)) {
        return cs_error_set(err, CS_EINVAL, "%s.%s: column of kind %d read as kind %d", t->name,
                            t->cols[col].name, cs_type_kind(t->cols[col].type), kind);
    }
    const int rc = view_col_pread(snap, p, pi, col, kind, v, err);
    if (rc != CS_OK) return rc;
    if (v->rows != p->rows) {
        return cs_error_set(err, CS_ECORRUPT,
                            "%s: %s/%" PRId32 " column %s has %zu rows, not %" PRIu32, v->file,
                            t->name, p->time_key, t->cols[col].name, v->rows, p->rows);
    }
    return CS_OK;
}

int cs_snap_col_header_pread(struct cs_snap *snap,
                             int table,
                             size_t i,
                             int col,
                             uint8_t out[64],
                             uint64_t *len,
                             struct cs_error *err)
{
    if (i >= cs_snap_part_count(snap, table))
        return cs_error_set(err, CS_EINVAL, "no partition %zu in table %d", i, table);
    const size_t pi = snap->m->first[table] + i;
    const struct cs_mpart *p = &snap->m->parts[pi];
    if (col < 0 || col >= p->ncols)
        return cs_error_set(err, CS_EINVAL, "no column %d in table %d", col, table);
    char path[CS_PATH_MAX];
    cs_snap_data_path(snap, p->file, path);
    int fd;
    int rc = pread_fd(snap, p->file, &fd, err);
    const uint8_t *cols = NULL;
    if (rc == CS_OK) rc = pread_header(snap, pi, fd, &cols, err);
    if (rc != CS_OK) return rc;
    uint64_t off;
    struct cs_seg_stats stats;
    cs_part_col(cols, col, &off, len, &stats);
    if (*len < CS_SEG_HEADER_SIZE)
        return cs_error_set(err, CS_ECORRUPT, "%s: segment of %" PRIu64 " bytes", path, *len);
    return cs_sio_pread_all(fd, out, CS_SEG_HEADER_SIZE, p->off + off, path, err);
}
