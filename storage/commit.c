/*
 * Write transactions (store.h): the writer lock, writing partition blocks into the
 * transaction's data file, the atomic commit and the cleanup of files no snapshot needs.
 * Byte layouts: docs/storage-format.md §3–§5; the rules below are §6–§8 there.
 *
 * Writer lock (one writer per store, across processes and handles):
 *
 *   UNLOCKED ──cs_txn_begin: open LOCK, flock(LOCK_EX|LOCK_NB)──→ LOCKED
 *       ↑          (held by another fd, this process or another: CS_EBUSY)
 *       └──cs_txn_commit / cs_txn_abort: close(lock fd); writer dies: the kernel closes it
 *
 * Commit (N = base version + 1; the kill points name the tests' SIGKILL spots):
 *
 *   BEGUN        lock held, cleanup of a killed writer's leftovers, base snapshot pinned
 *     │ cs_txn_put_part: encode, append a block to data/<N>.cseg (created at the first put)
 *     │                                                         kill: "block_written"
 *     ▼ cs_txn_commit                                           kill: "data_written"
 *   DATA_SYNCED  fsync data file, fsync data/                   kill: "data_synced"
 *     ▼ write MANIFEST-<N>                                      kill: "manifest_written"
 *   MANIFEST_SYNCED  fsync it, fsync the store directory       kill: "manifest_synced"
 *     ▼ write CURRENT.tmp                                       kill: "current_tmp_written"
 *   PREPARED     fsync CURRENT.tmp                               kill: "current_tmp_synced"
 *     ▼ rename CURRENT.tmp → CURRENT  (the commit point)        kill: "renamed"
 *   COMMITTED    fsync the store directory                       kill: "dir_synced"
 *     ▼ close base snapshot; delete unpinned old manifests, then data files that neither
 *       the new manifest nor any pinned one names, and temp files  kill: "cleaned"
 *   DONE         close the lock fd
 *
 * Before the rename nothing is visible: a failure (or a kill) leaves the previous version,
 * and the next writer deletes data/<N>.cseg, MANIFEST-<N> and CURRENT.tmp as orphans.
 */
#include "storage/store_int.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "storage/base/limits.h"
#include "storage/base/schema.h"
#include "storage/segment.h"

void (*cs_store_test_hook)(const char *point) = NULL;

void cs_store_kill_point(const char *point)
{
    if (cs_store_test_hook != NULL) cs_store_test_hook(point);
}

struct cs_txn {
    struct cs_store *st;
    struct cs_snap *base;
    int lock_fd;
    uint64_t id; /* the new version and the name of its data file */
    int data_fd; /* -1 until the first non-empty put */
    uint64_t data_size;
    char data_path[CS_PATH_MAX];
    struct cs_mpart *puts; /* file == UINT32_MAX: in data/<id>; rows == 0: removal */
    size_t nputs, cap;
    bool broken; /* a write failed: the data file's layout is unknown, commit refuses */
};

int cs_take_lock(int dfd, const char *dir, int *fd, struct cs_error *err)
{
    bool missing = false;
    int rc = cs_sio_openat(dfd, dir, CS_LOCK_NAME, CS_SIO_RDWR_FILE, fd, &missing, err);
    if (rc != CS_OK && missing) {
        rc = cs_sio_openat(dfd, dir, CS_LOCK_NAME, CS_SIO_CREATE_NEW, fd, NULL, err);
        /* another process may have created it meanwhile */
        if (rc != CS_OK &&
            cs_sio_openat(dfd, dir, CS_LOCK_NAME, CS_SIO_RDWR_FILE, fd, NULL, NULL) == CS_OK)
            rc = CS_OK;
    }
    if (rc != CS_OK) return rc;
    if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        (void)close(*fd);
        *fd = -1;
        if (e == EWOULDBLOCK) {
            return cs_error_set(err, CS_EBUSY, "store \"%s\" is locked by another writer", dir);
        }
        return cs_error_set(err, CS_EIO, "could not lock \"%s/%s\": %s", dir, CS_LOCK_NAME,
                            strerror(e));
    }
    return CS_OK;
}

/* write_current() - CURRENT.tmp (new), then renamed over CURRENT: the commit point. */
static int write_current(int dfd, const char *dir, uint64_t v, bool *renamed, struct cs_error *err)
{
    char text[32];
    int n = snprintf(text, sizeof(text), "MANIFEST-%012" PRIu64 "\n", v);
    assert(n == 22);
    int rc =
        cs_sio_write_new(dfd, dir, CS_CURRENT_TMP, text, (size_t)n, "current_tmp_written", err);
    if (rc != CS_OK) return rc;
    cs_store_kill_point("current_tmp_synced");
    rc = cs_sio_renameat(dfd, dir, CS_CURRENT_TMP, CS_CURRENT_NAME, err);
    if (rc != CS_OK) return rc;
    *renamed = true;
    cs_store_kill_point("renamed");
    rc = cs_sio_fsync(dfd, dir, err);
    cs_store_kill_point("dir_synced");
    return rc;
}

static int
write_manifest(int dfd, const char *dir, const struct cs_manifest *m, struct cs_error *err)
{
    char name[32];
    (void)snprintf(name, sizeof(name), "MANIFEST-%012" PRIu64, m->version);
    uint8_t *buf;
    size_t len;
    int rc = cs_man_encode(m, &buf, &len, err);
    if (rc != CS_OK) return rc;
    rc = cs_sio_write_new(dfd, dir, name, buf, len, "manifest_written", err);
    free(buf);
    if (rc == CS_OK) rc = cs_sio_fsync(dfd, dir, err);
    cs_store_kill_point("manifest_synced");
    return rc;
}

int cs_store_create_empty(int dfd, const char *dir, struct cs_error *err)
{
    int rc = cs_sio_mkdirat(dfd, dir, CS_DATA_DIR, err);
    if (rc != CS_OK) return rc;
    int lock_fd;
    rc = cs_take_lock(dfd, dir, &lock_fd, err);
    if (rc != CS_OK) return rc;
    struct stat sb;
    if (!cs_sio_statat(dfd, CS_CURRENT_NAME, &sb)) { /* another creator may have won */
        /* What an interrupted creation left (store.c checked it holds no data). */
        rc = cs_sio_unlinkat(dfd, dir, CS_CURRENT_TMP, err);
        if (rc == CS_OK) rc = cs_sio_unlinkat(dfd, dir, "MANIFEST-000000000000", err);
        struct cs_manifest m = {0};
        cs_man_index(&m);
        if (rc == CS_OK) rc = write_manifest(dfd, dir, &m, err);
        bool renamed = false;
        if (rc == CS_OK) rc = write_current(dfd, dir, 0, &renamed, err);
        if (rc != CS_OK && !renamed) {
            (void)cs_sio_unlinkat(dfd, dir, CS_CURRENT_TMP, NULL);
            (void)cs_sio_unlinkat(dfd, dir, "MANIFEST-000000000000", NULL);
        }
    }
    (void)close(lock_fd);
    return rc;
}

/* --- cleanup (docs/storage-format.md §7) --- */

struct keep_set {
    uint64_t *ids;
    size_t n, cap;
    bool all; /* a pinned manifest could not be read: delete no data file */
};

static void keep_add(struct keep_set *k, const struct cs_manifest *m)
{
    for (uint32_t i = 0; i < m->nfiles && !k->all; i++) {
        if (k->n == k->cap) {
            size_t cap = k->cap < 16 ? 16 : 2 * k->cap;
            uint64_t *p = realloc(k->ids, cap * sizeof(*p));
            if (p == NULL) {
                k->all = true;
                return;
            }
            k->ids = p;
            k->cap = cap;
        }
        k->ids[k->n++] = m->files[i].id;
    }
}

static bool keep_has(const struct keep_set *k, uint64_t id)
{
    for (size_t i = 0; i < k->n; i++) {
        if (k->ids[i] == id) return true;
    }
    return k->all;
}

/* old_manifest() - delete MANIFEST-<v> unless a snapshot pins it; then keep its files. */
static void old_manifest(int dfd, const char *dir, const char *name, struct keep_set *k)
{
    int fd;
    if (cs_sio_openat(dfd, dir, name, CS_SIO_READ_FILE, &fd, NULL, NULL) != CS_OK) return;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
        /* while locked: a reader that locks it next sees st_nlink == 0 */
        (void)cs_sio_unlinkat(dfd, dir, name, NULL);
    } else {
        struct cs_manifest m;
        if (cs_man_load_fd(fd, name, &m, NULL) == CS_OK) {
            keep_add(k, &m);
            cs_man_free(&m);
        } else {
            k->all = true;
        }
    }
    (void)close(fd);
}

static bool parse_name(const char *name, const char *prefix, const char *suffix, uint64_t *v)
{
    size_t pl = strlen(prefix), sl = strlen(suffix), n = strlen(name);
    if (n != pl + 12 + sl || strncmp(name, prefix, pl) != 0 || strcmp(name + pl + 12, suffix) != 0)
        return false;
    *v = 0;
    for (size_t i = pl; i < pl + 12; i++) {
        if (name[i] < '0' || name[i] > '9') return false;
        *v = *v * 10 + (uint64_t)(name[i] - '0');
    }
    return true;
}

/* clean_store_dir() - the store directory: only the engine's own names are touched:
 * CURRENT.tmp, MANIFEST-<v> newer than the live one (a killed writer's), older ones no
 * snapshot pins. */
static void clean_store_dir(const struct cs_store *st, uint64_t live, struct keep_set *k)
{
    DIR *d;
    if (cs_sio_opendir(st->dfd, st->dir, &d, NULL) != CS_OK) {
        k->all = true;
        return;
    }
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        uint64_t v;
        if (strcmp(e->d_name, CS_CURRENT_TMP) == 0) {
            (void)cs_sio_unlinkat(st->dfd, st->dir, e->d_name, NULL);
        } else if (parse_name(e->d_name, "MANIFEST-", "", &v) && v != live) {
            if (v > live) {
                (void)cs_sio_unlinkat(st->dfd, st->dir, e->d_name, NULL);
            } else {
                old_manifest(st->dfd, st->dir, e->d_name, k);
            }
        }
    }
    (void)closedir(d);
}

/* clean_data_dir() - data/<id>.cseg that no remaining manifest names; nothing else. */
static void clean_data_dir(const struct cs_store *st, const struct keep_set *k)
{
    DIR *d;
    if (cs_sio_opendir(st->ddfd, st->data_dir, &d, NULL) != CS_OK) return;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        uint64_t id;
        if (parse_name(e->d_name, "", ".cseg", &id) && !keep_has(k, id))
            (void)cs_sio_unlinkat(st->ddfd, st->data_dir, e->d_name, NULL);
    }
    (void)closedir(d);
}

/* cleanup() - best effort: a failure leaves garbage for the next writer, never damage.
 * Only the lock holder calls it, with `live` the version CURRENT names. */
static void cleanup(const struct cs_store *st, const struct cs_manifest *live)
{
    struct keep_set k = {NULL, 0, 0, false};
    keep_add(&k, live);
    clean_store_dir(st, live->version, &k);
    if (!k.all) clean_data_dir(st, &k);
    free(k.ids);
}

int cs_txn_begin(struct cs_store *st, struct cs_txn **out, struct cs_error *err)
{
    *out = NULL;
    if ((st->flags & CS_OPEN_WRITE) == 0) {
        return cs_error_set(err, CS_EINVAL, "store \"%s\" was opened read-only", st->dir);
    }
    bool expected = false;
    if (!atomic_compare_exchange_strong(&st->txn_active, &expected, true)) {
        return cs_error_set(err, CS_EBUSY, "store \"%s\" already has a transaction in progress",
                            st->dir);
    }
    struct cs_txn *txn = calloc(1, sizeof(*txn));
    int rc = txn == NULL ? cs_error_set(err, CS_ENOMEM, "out of memory") : CS_OK;
    if (rc == CS_OK) {
        txn->st = st;
        txn->data_fd = -1;
        rc = cs_take_lock(st->dfd, st->dir, &txn->lock_fd, err);
        if (rc != CS_OK) txn->lock_fd = -1;
    }
    if (rc == CS_OK) rc = cs_snap_open(st, &txn->base, err);
    if (rc != CS_OK) {
        cs_txn_abort(txn);
        if (txn == NULL) atomic_store(&st->txn_active, false);
        return rc;
    }
    cleanup(st, txn->base->m); /* leftovers of a writer killed mid-commit */
    txn->id = txn->base->m->version + 1;
    cs_store_kill_point("begun");
    *out = txn;
    return CS_OK;
}

struct cs_snap *cs_txn_snap(struct cs_txn *txn)
{
    return txn->base;
}

void cs_txn_abort(struct cs_txn *txn)
{
    if (txn == NULL) return;
    if (txn->data_fd >= 0) {
        char name[64];
        cs_sio_data_file(name, txn->id);
        (void)close(txn->data_fd);
        (void)cs_sio_unlinkat(txn->st->ddfd, txn->st->data_dir, name, NULL);
    }
    cs_snap_close(txn->base);
    if (txn->lock_fd >= 0) (void)close(txn->lock_fd);
    if (txn->st != NULL) atomic_store(&txn->st->txn_active, false);
    free(txn->puts);
    free(txn);
}

/* --- writing partitions --- */

static int open_data_file(struct cs_txn *txn, struct cs_error *err)
{
    char name[64];
    cs_sio_data_file(name, txn->id);
    int rc = cs_sio_path(txn->data_path, err, txn->st->data_dir, "%s", name);
    if (rc != CS_OK) return rc;
    rc = cs_sio_openat(txn->st->ddfd, txn->st->data_dir, name, CS_SIO_CREATE_NEW, &txn->data_fd,
                       NULL, err);
    if (rc != CS_OK) return rc;
    uint8_t hdr[CS_DATA_HEADER_SIZE];
    cs_data_header_encode(hdr, txn->id);
    txn->data_size = CS_DATA_HEADER_SIZE;
    return cs_sio_write_all(txn->data_fd, hdr, sizeof(hdr), txn->data_path, err);
}

struct encoded {
    uint8_t *seg[CS_MAX_COLS];
    size_t len[CS_MAX_COLS];
    struct cs_seg_stats stats[CS_MAX_COLS];
    uint64_t off[CS_MAX_COLS]; /* from the block start */
    uint8_t hdr[CS_PART_FIXED_SIZE + CS_MAX_COLS * CS_PART_COL_SIZE + 8];
    size_t hdr_len;
};

/* build_header() - docs/storage-format.md §4; p gets the block length and header checksum. */
static void build_header(struct encoded *e, struct cs_mpart *p)
{
    uint8_t *h = e->hdr;
    e->hdr_len = CS_PART_FIXED_SIZE + (size_t)p->ncols * CS_PART_COL_SIZE + 8;
    memset(h, 0, e->hdr_len);
    cs_put_u32(h, CS_PART_MAGIC);
    h[4] = p->table;
    h[5] = p->ncols;
    cs_put_u32(h + 8, (uint32_t)p->time_key);
    cs_put_u32(h + 12, p->rows);
    cs_put_u32(h + 16, (uint32_t)e->hdr_len);
    uint64_t pos = e->hdr_len; /* segments follow the header back to back: every byte of a
                                * data file is under some checksum (no padding) */
    for (int c = 0; c < p->ncols; c++) {
        uint8_t *q = h + CS_PART_FIXED_SIZE + (size_t)c * CS_PART_COL_SIZE;
        e->off[c] = pos;
        cs_put_u64(q, pos);
        cs_put_u64(q + 8, e->len[c]);
        cs_put_u32(q + 16, e->stats[c].rows);
        cs_put_u32(q + 20, e->stats[c].null_count);
        cs_put_u64(q + 24, (uint64_t)e->stats[c].min);
        cs_put_u64(q + 32, (uint64_t)e->stats[c].max);
        pos = e->off[c] + e->len[c];
    }
    p->len = pos;
    p->hsum = XXH64(h, e->hdr_len - 8, 0);
    cs_put_u64(h + e->hdr_len - 8, p->hsum);
}

static int
write_block(struct cs_txn *txn, struct encoded *e, struct cs_mpart *p, struct cs_error *err)
{
    int rc = txn->data_fd >= 0 ? CS_OK : open_data_file(txn, err);
    if (rc != CS_OK) return rc;
    build_header(e, p);
    p->off = txn->data_size;
    rc = cs_sio_write_all(txn->data_fd, e->hdr, e->hdr_len, txn->data_path, err);
    txn->data_size += e->hdr_len;
    for (int c = 0; rc == CS_OK && c < p->ncols; c++) {
        assert(txn->data_size == p->off + e->off[c]);
        rc = cs_sio_write_all(txn->data_fd, e->seg[c], e->len[c], txn->data_path, err);
        txn->data_size += e->len[c];
    }
    assert(rc != CS_OK || txn->data_size == p->off + p->len);
    cs_store_kill_point("block_written");
    return rc;
}

static int check_put(const struct cs_txn *txn,
                     int table,
                     int32_t time_key,
                     const struct cs_batch *rows,
                     struct cs_error *err)
{
    const struct cs_table_def *t = cs_schema_table(table);
    if (txn == NULL || t == NULL || rows == NULL || rows->table != t) {
        return cs_error_set(err, CS_EINVAL, "put: batch does not belong to table %d", table);
    }
    if (t->is_fact ? time_key <= 0 : time_key != 0) {
        return cs_error_set(err, CS_EINVAL, "put: %s: invalid time_key %" PRId32, t->name,
                            time_key);
    }
    if (rows->rows > CS_MAX_PARTITION_ROWS) {
        return cs_error_set(err, CS_EINVAL, "put: %s/%" PRId32 ": %zu rows exceed the limit",
                            t->name, time_key, rows->rows);
    }
    for (int c = 0; c < t->ncols; c++) {
        const struct cs_col *col = &rows->cols[c];
        if (col->len != rows->rows || col->kind != cs_type_kind(t->cols[c].type)) {
            return cs_error_set(err, CS_EINVAL, "put: %s.%s: %zu rows of kind %d, expected %zu",
                                t->name, t->cols[c].name, col->len, col->kind, rows->rows);
        }
    }
    return CS_OK;
}

static int add_put(struct cs_txn *txn, const struct cs_mpart *p, struct cs_error *err)
{
    if (txn->nputs == txn->cap) {
        size_t cap = txn->cap < 16 ? 16 : 2 * txn->cap;
        struct cs_mpart *q = realloc(txn->puts, cap * sizeof(*q));
        if (q == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
        txn->puts = q;
        txn->cap = cap;
    }
    txn->puts[txn->nputs++] = *p;
    return CS_OK;
}

int cs_txn_put_part(struct cs_txn *txn,
                    int table,
                    int32_t time_key,
                    const struct cs_batch *rows,
                    struct cs_error *err)
{
    int rc = check_put(txn, table, time_key, rows, err);
    if (rc != CS_OK) return rc;
    const struct cs_table_def *t = rows->table;
    struct cs_mpart p = {(uint8_t)table, t->ncols, time_key, (uint32_t)rows->rows,
                         UINT32_MAX,     0,        0,        0};
    if (rows->rows == 0) return add_put(txn, &p, err);
    struct encoded *e = calloc(1, sizeof(*e));
    if (e == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (int c = 0; rc == CS_OK && c < t->ncols; c++) {
        rc = cs_seg_encode(&rows->cols[c], t->cols[c].type, &e->seg[c], &e->len[c], &e->stats[c],
                           err);
        if (rc == CS_OK && (e->stats[c].rows != p.rows || e->len[c] == 0)) {
            rc = cs_error_set(err, CS_EINVAL, "put: %s.%s: encoder returned %" PRIu32 " rows",
                              t->name, t->cols[c].name, e->stats[c].rows);
        }
    }
    if (rc == CS_OK) {
        rc = write_block(txn, e, &p, err);
        if (rc != CS_OK) txn->broken = true;
    }
    if (rc == CS_OK) rc = add_put(txn, &p, err);
    for (int c = 0; c < t->ncols; c++)
        free(e->seg[c]);
    free(e);
    if (rc != CS_OK) cs_error_prefix(err, "%s/%" PRId32, t->name, time_key);
    return rc;
}

/* read_put() - decode the columns of pending partition p that `want` names (bit c: column c;
 * every column when want is ~0) into b. */
static int read_put(struct cs_txn *txn,
                    const struct cs_mpart *p,
                    uint32_t want,
                    struct cs_batch *b,
                    struct cs_error *err)
{
    if (p->len > SIZE_MAX || p->off + p->len > txn->data_size) {
        return cs_error_set(err, CS_ECORRUPT, "%s: pending block out of bounds", txn->data_path);
    }
    uint8_t *blk = malloc((size_t)p->len);
    if (blk == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
    int rc = cs_sio_pread_all(txn->data_fd, blk, (size_t)p->len, p->off, txn->data_path, err);
    const uint8_t *cols = NULL;
    if (rc == CS_OK) rc = cs_part_header_check(blk, (size_t)p->len, p, txn->data_path, &cols, err);
    for (int c = 0; rc == CS_OK && c < b->table->ncols; c++) {
        if (!((want >> c) & 1u)) continue;
        uint64_t off, len;
        struct cs_seg_stats st;
        cs_part_col(cols, c, &off, &len, &st);
        rc = cs_seg_decode_rows(blk + off, (size_t)len, p->rows, &b->cols[c], txn->data_path, err);
    }
    if (rc == CS_OK)
        b->rows = p->rows;
    else
        cs_batch_reset(b);
    free(blk);
    return rc;
}

int cs_txn_read_part(
    struct cs_txn *txn, int table, int32_t time_key, struct cs_batch *b, struct cs_error *err)
{
    if (txn == NULL || b == NULL || b->table == NULL || b->table->id != table) {
        return cs_error_set(err, CS_EINVAL, "read_part: batch is not of table %d", table);
    }
    cs_batch_reset(b);
    for (size_t i = txn->nputs; i-- > 0;) {
        const struct cs_mpart *p = &txn->puts[i];
        if (p->table != table || p->time_key != time_key) continue;
        return p->rows == 0 ? CS_OK : read_put(txn, p, ~0u, b, err);
    }
    size_t first, end;
    cs_snap_part_range(txn->base, table, time_key, time_key, &first, &end);
    if (first == end) return CS_OK;
    return cs_snap_read_part(txn->base, table, first, b, err);
}

int cs_txn_read_cols(struct cs_txn *txn,
                     int table,
                     int32_t time_key,
                     const int8_t *cols,
                     size_t ncols,
                     struct cs_batch *b,
                     struct cs_error *err)
{
    if (txn == NULL || b == NULL || b->table == NULL || b->table->id != table) {
        return cs_error_set(err, CS_EINVAL, "read_cols: batch is not of table %d", table);
    }
    cs_batch_reset(b);
    uint32_t want = 0;
    for (size_t i = 0; i < ncols; i++) {
        if (cols[i] < 0 || cols[i] >= b->table->ncols) {
            return cs_error_set(err, CS_EINVAL, "read_cols: no column %d", cols[i]);
        }
        want |= 1u << cols[i];
    }
    for (size_t i = txn->nputs; i-- > 0;) {
        const struct cs_mpart *p = &txn->puts[i];
        if (p->table != table || p->time_key != time_key) continue;
        return p->rows == 0 ? CS_OK : read_put(txn, p, want, b, err);
    }
    return cs_snap_read_day_cols(txn->base, table, time_key, cols, ncols, b, err);
}

/* --- commit --- */

struct seq_put {
    struct cs_mpart p;
    size_t seq;
};

static int cmp_key(const struct cs_mpart *a, const struct cs_mpart *b)
{
    if (a->table != b->table) return a->table < b->table ? -1 : 1;
    if (a->time_key != b->time_key) return a->time_key < b->time_key ? -1 : 1;
    return 0;
}

static int cmp_seq_put(const void *x, const void *y)
{
    const struct seq_put *a = x, *b = y;
    int c = cmp_key(&a->p, &b->p);
    if (c != 0) return c;
    return a->seq < b->seq ? -1 : (a->seq > b->seq ? 1 : 0);
}

/* sorted_puts() - the puts by key, only the last put of each key kept. */
static struct seq_put *sorted_puts(const struct cs_txn *txn, size_t *n)
{
    struct seq_put *s = malloc((txn->nputs + 1) * sizeof(*s));
    if (s == NULL) return NULL;
    for (size_t i = 0; i < txn->nputs; i++)
        s[i] = (struct seq_put){txn->puts[i], i};
    qsort(s, txn->nputs, sizeof(*s), cmp_seq_put);
    size_t k = 0;
    for (size_t i = 0; i < txn->nputs; i++) {
        if (i + 1 < txn->nputs && cmp_key(&s[i].p, &s[i + 1].p) == 0) continue;
        s[k++] = s[i];
    }
    *n = k;
    return s;
}

/* merge_parts() - base partitions overlaid with the puts, in key order; rows == 0 dropped. */
static size_t merge_parts(const struct cs_manifest *base,
                          const struct seq_put *s,
                          size_t ns,
                          struct cs_mpart *out)
{
    size_t i = 0, j = 0, n = 0;
    while (i < base->nparts || j < ns) {
        int c = i == base->nparts ? 1 : (j == ns ? -1 : cmp_key(&base->parts[i], &s[j].p));
        if (c < 0) {
            out[n++] = base->parts[i++];
            continue;
        }
        if (c == 0) i++; /* replaced */
        if (s[j].p.rows > 0) out[n++] = s[j].p;
        j++;
    }
    return n;
}

/* assign_files() - the file table of m: base files still used, then the new data file. */
static void assign_files(const struct cs_txn *txn, struct cs_manifest *m, uint32_t *remap)
{
    const struct cs_manifest *base = txn->base->m;
    bool new_used = false;
    for (uint32_t f = 0; f < base->nfiles; f++)
        remap[f] = UINT32_MAX;
    for (uint32_t i = 0; i < m->nparts; i++) {
        if (m->parts[i].file == UINT32_MAX) {
            new_used = true;
        } else {
            remap[m->parts[i].file] = 0;
        }
    }
    m->nfiles = 0;
    for (uint32_t f = 0; f < base->nfiles; f++) {
        if (remap[f] == UINT32_MAX) continue;
        remap[f] = m->nfiles;
        m->files[m->nfiles++] = base->files[f];
    }
    uint32_t new_index = m->nfiles;
    if (new_used) m->files[m->nfiles++] = (struct cs_mfile){txn->id, txn->data_size};
    for (uint32_t i = 0; i < m->nparts; i++) {
        uint32_t *f = &m->parts[i].file;
        *f = *f == UINT32_MAX ? new_index : remap[*f];
    }
}

static int build_manifest(const struct cs_txn *txn, struct cs_manifest *m, struct cs_error *err)
{
    const struct cs_manifest *base = txn->base->m;
    memset(m, 0, sizeof(*m));
    m->version = txn->id;
    size_t ns = 0;
    struct seq_put *s = sorted_puts(txn, &ns);
    m->parts = malloc((base->nparts + ns + 1) * sizeof(*m->parts));
    m->files = malloc((base->nfiles + 2) * sizeof(*m->files));
    uint32_t *remap = malloc((base->nfiles + 1) * sizeof(*remap));
    int rc = CS_OK;
    if (s == NULL || m->parts == NULL || m->files == NULL || remap == NULL) {
        rc = cs_error_set(err, CS_ENOMEM, "commit: out of memory");
        cs_man_free(m);
    } else {
        size_t n = merge_parts(base, s, ns, m->parts);
        m->nparts = (uint32_t)n;
        assign_files(txn, m, remap);
        cs_man_index(m);
    }
    free(s);
    free(remap);
    return rc;
}

static int sync_data(struct cs_txn *txn, struct cs_error *err)
{
    if (txn->data_fd < 0) return CS_OK;
    cs_store_kill_point("data_written");
    int rc = cs_sio_fsync(txn->data_fd, txn->data_path, err);
    int fd = txn->data_fd;
    txn->data_fd = -1;
    const int crc = cs_sio_close(fd, txn->data_path, rc == CS_OK ? err : NULL);
    if (rc == CS_OK) rc = crc;
    if (rc == CS_OK) rc = cs_sio_fsync(txn->st->ddfd, txn->st->data_dir, err);
    cs_store_kill_point("data_synced");
    return rc;
}

/* discard() - undo the files of a commit that failed before its commit point (all of them
 * created by this transaction: the names are made with O_EXCL). */
static void discard(struct cs_txn *txn)
{
    const struct cs_store *st = txn->st;
    char name[64];
    if (txn->data_path[0] != '\0') {
        cs_sio_data_file(name, txn->id);
        (void)cs_sio_unlinkat(st->ddfd, st->data_dir, name, NULL);
    }
    (void)snprintf(name, sizeof(name), "MANIFEST-%012" PRIu64, txn->id);
    (void)cs_sio_unlinkat(st->dfd, st->dir, name, NULL);
    (void)cs_sio_unlinkat(st->dfd, st->dir, CS_CURRENT_TMP, NULL);
}

int cs_txn_commit(struct cs_txn *txn, struct cs_error *err)
{
    if (txn == NULL) return cs_error_set(err, CS_EINVAL, "commit: no transaction");
    if (txn->broken) {
        cs_txn_abort(txn);
        return cs_error_set(err, CS_EIO, "commit: an earlier write of this transaction failed");
    }
    if (txn->nputs == 0) { /* nothing to publish: the version stays */
        cs_txn_abort(txn);
        return CS_OK;
    }
    struct cs_manifest m = {0};
    bool renamed = false;
    int rc = sync_data(txn, err);
    if (rc == CS_OK) rc = build_manifest(txn, &m, err);
    if (rc == CS_OK) rc = write_manifest(txn->st->dfd, txn->st->dir, &m, err);
    if (rc == CS_OK) rc = write_current(txn->st->dfd, txn->st->dir, m.version, &renamed, err);
    if (renamed) {
        cs_snap_close(txn->base); /* unpin the old version before cleaning up */
        txn->base = NULL;
        cleanup(txn->st, &m);
        cs_store_kill_point("cleaned");
    } else {
        discard(txn);
    }
    cs_man_free(&m);
    txn->data_path[0] = '\0'; /* already closed; abort must not unlink it */
    cs_txn_abort(txn);
    if (rc != CS_OK && renamed)
        cs_error_prefix(err, "commit %" PRIu64 " is visible but may not be durable", m.version);
    return rc;
}
