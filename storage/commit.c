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
#include "storage/key_filter.h"
#include "storage/segment.h"

void (*cs_store_test_hook)(const char *point) = NULL;

void cs_store_kill_point(const char *point)
{
    if (cs_store_test_hook != NULL) cs_store_test_hook(point);
}

/* A put of the transaction: a whole partition (its row groups replaced by this one, seq 0), or
 * one row group (table, time_key, seq) replaced, added, or removed (rows == 0). */
enum { PUT_PART = 0, PUT_GROUP = 1 };
struct txn_put {
    struct cs_mpart p;
    uint8_t op;
};

struct cs_txn {
    struct cs_store *st;
    struct cs_snap *base;
    int lock_fd;
    uint64_t id; /* the new version and the name of its data file */
    int data_fd; /* -1 until the first non-empty put */
    uint64_t data_size;
    char data_path[CS_PATH_MAX];
    struct txn_put *puts; /* in order; file == UINT32_MAX: in data/<id>; rows == 0: removal */
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

/* drop_lock() - release the writer lock, then close its descriptor. Unlocking first matters: a
 * child forked meanwhile (by any thread of the process) shares the lock's open file
 * description until it execs, or for as long as it lives when it does not, and close() alone
 * would leave the store locked by that copy. */
static void drop_lock(int fd)
{
    if (fd < 0) return;
    (void)flock(fd, LOCK_UN);
    (void)close(fd);
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
    drop_lock(lock_fd);
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
    drop_lock(txn->lock_fd);
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
    uint8_t *filter; /* the key filter section (§4.1), or NULL */
    size_t filter_len;
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
    h[6] = e->filter != NULL ? CS_BLK_KEY_FILTER : 0;
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
    p->len = pos + e->filter_len;
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
    if (rc == CS_OK && e->filter != NULL) {
        rc = cs_sio_write_all(txn->data_fd, e->filter, e->filter_len, txn->data_path, err);
        txn->data_size += e->filter_len;
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

static int add_put(struct cs_txn *txn, const struct cs_mpart *p, uint8_t op, struct cs_error *err)
{
    if (txn->nputs == txn->cap) {
        size_t cap = txn->cap < 16 ? 16 : 2 * txn->cap;
        struct txn_put *q = realloc(txn->puts, cap * sizeof(*q));
        if (q == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
        txn->puts = q;
        txn->cap = cap;
    }
    txn->puts[txn->nputs++] = (struct txn_put){*p, op};
    return CS_OK;
}

/* encode_block() - the segments (and the key filter of a dimension with a natural key) of
 * rows, written as one block; p gets its place. */
static int encode_block(struct cs_txn *txn,
                        const struct cs_batch *rows,
                        struct cs_mpart *p,
                        struct cs_error *err)
{
    const struct cs_table_def *t = rows->table;
    struct encoded *e = calloc(1, sizeof(*e));
    if (e == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
    p->key_min = p->id_min = INT64_MAX;
    p->key_max = p->id_max = INT64_MIN;
    p->has_ranges = true;
    int rc = CS_OK;
    for (int c = 0; rc == CS_OK && c < t->ncols; c++) {
        rc = cs_seg_encode(&rows->cols[c], t->cols[c].type, &e->seg[c], &e->len[c], &e->stats[c],
                           err);
        if (rc == CS_OK && (e->stats[c].rows != p->rows || e->len[c] == 0)) {
            rc = cs_error_set(err, CS_EINVAL, "put: %s.%s: encoder returned %" PRIu32 " rows",
                              t->name, t->cols[c].name, e->stats[c].rows);
        }
    }
    const struct cs_seg_stats *k = &e->stats[t->key_col];
    if (rc == CS_OK && k->rows > k->null_count) {
        p->key_min = k->min;
        p->key_max = k->max;
    }
    const struct cs_seg_stats *id = t->src_col >= 0 ? &e->stats[t->src_col] : NULL;
    if (rc == CS_OK && id != NULL && id->rows > id->null_count) {
        p->id_min = id->min;
        p->id_max = id->max;
    }
    if (rc == CS_OK && !t->is_fact && t->name_col >= 0) {
        e->filter_len = cs_kf_size(rows->rows);
        e->filter = malloc(e->filter_len);
        if (e->filter == NULL)
            rc = cs_error_set(err, CS_ENOMEM, "out of memory");
        else
            cs_kf_build(&rows->cols[t->name_col], e->filter);
    }
    if (rc == CS_OK) {
        rc = write_block(txn, e, p, err);
        if (rc != CS_OK) txn->broken = true;
    }
    for (int c = 0; c < t->ncols; c++)
        free(e->seg[c]);
    free(e->filter);
    free(e);
    return rc;
}

static int put_rows(struct cs_txn *txn,
                    int table,
                    int32_t time_key,
                    uint16_t seq,
                    uint8_t op,
                    const struct cs_batch *rows,
                    struct cs_error *err)
{
    const struct cs_table_def *t = rows->table;
    struct cs_mpart p = {.table = (uint8_t)table,
                         .ncols = t->ncols,
                         .seq = seq,
                         .time_key = time_key,
                         .rows = (uint32_t)rows->rows,
                         .file = UINT32_MAX};
    int rc = rows->rows == 0 ? CS_OK : encode_block(txn, rows, &p, err);
    if (rc == CS_OK) rc = add_put(txn, &p, op, err);
    if (rc != CS_OK) cs_error_prefix(err, "%s/%" PRId32, t->name, time_key);
    return rc;
}

int cs_txn_put_part(struct cs_txn *txn,
                    int table,
                    int32_t time_key,
                    const struct cs_batch *rows,
                    struct cs_error *err)
{
    int rc = check_put(txn, table, time_key, rows, err);
    return rc != CS_OK ? rc : put_rows(txn, table, time_key, 0, PUT_PART, rows, err);
}

int cs_txn_put_group(struct cs_txn *txn,
                     int table,
                     int32_t time_key,
                     uint32_t seq,
                     const struct cs_batch *rows,
                     struct cs_error *err)
{
    int rc = check_put(txn, table, time_key, rows, err);
    if (rc == CS_OK && seq > CS_MAX_ROW_GROUPS - 1)
        rc = cs_error_set(err, CS_EINVAL, "put: row group %" PRIu32 " out of range", seq);
    return rc != CS_OK ? rc : put_rows(txn, table, time_key, (uint16_t)seq, PUT_GROUP, rows, err);
}

/* --- the transaction's view of a partition --- */

/* One row group of a partition as the transaction would commit it. */
struct grp {
    struct cs_mpart p; /* p.file == UINT32_MAX: pending in this transaction's data file */
    size_t base;       /* otherwise its index within the table in the base snapshot */
};

static bool same_key(const struct cs_mpart *a, int table, int32_t time_key)
{
    return a->table == table && a->time_key == time_key;
}

/* apply_put() - one put of the partition onto its groups g[0..*n) (seq order). */
static void apply_put(const struct txn_put *u, struct grp *g, size_t *n)
{
    if (u->op == PUT_PART) {
        *n = 0;
        if (u->p.rows > 0) g[(*n)++] = (struct grp){u->p, SIZE_MAX};
        return;
    }
    size_t at = 0;
    while (at < *n && g[at].p.seq < u->p.seq)
        at++;
    if (at < *n && g[at].p.seq == u->p.seq) { /* replaced or removed */
        memmove(&g[at], &g[at + 1], (*n - at - 1) * sizeof(*g));
        (*n)--;
    }
    if (u->p.rows == 0) return;
    memmove(&g[at + 1], &g[at], (*n - at) * sizeof(*g));
    g[at] = (struct grp){u->p, SIZE_MAX};
    (*n)++;
}

/* key_groups() - the row groups of (table, time_key) as the transaction stands: the base
 * version's, with every put of the key applied in order. *out is malloc'ed. */
static int key_groups(const struct cs_txn *txn,
                      int table,
                      int32_t time_key,
                      struct grp **out,
                      size_t *n,
                      struct cs_error *err)
{
    size_t first, end, nput = 0;
    cs_snap_part_range(txn->base, table, time_key, time_key, &first, &end);
    for (size_t i = 0; i < txn->nputs; i++)
        nput += same_key(&txn->puts[i].p, table, time_key);
    struct grp *g = malloc((end - first + nput + 1) * sizeof(*g));
    if (g == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
    const struct cs_manifest *m = txn->base->m;
    size_t k = 0;
    for (size_t i = first; i < end; i++)
        g[k++] = (struct grp){m->parts[m->first[table] + i], i};
    for (size_t i = 0; nput > 0 && i < txn->nputs; i++) {
        if (same_key(&txn->puts[i].p, table, time_key)) apply_put(&txn->puts[i], g, &k);
    }
    *out = g;
    *n = k;
    return CS_OK;
}

int cs_txn_append_part(struct cs_txn *txn,
                       int table,
                       int32_t time_key,
                       const struct cs_batch *rows,
                       struct cs_error *err)
{
    int rc = check_put(txn, table, time_key, rows, err);
    if (rc != CS_OK || rows->rows == 0) return rc;
    struct grp *g = NULL;
    size_t n = 0;
    rc = key_groups(txn, table, time_key, &g, &n, err);
    const uint32_t next = n == 0 ? 0 : (uint32_t)g[n - 1].p.seq + 1;
    free(g);
    if (rc != CS_OK) return rc;
    if (next <= CS_MAX_ROW_GROUPS - 1)
        return put_rows(txn, table, time_key, (uint16_t)next, PUT_GROUP, rows, err);
    /* no group number left: the partition and the rows become one group */
    struct cs_batch all;
    cs_batch_init(&all, rows->table);
    rc = cs_txn_read_part(txn, table, time_key, &all, err);
    if (rc == CS_OK && !cs_batch_append_range(&all, rows, 0, rows->rows))
        rc = cs_error_set(err, CS_ENOMEM, "out of memory");
    if (rc == CS_OK) rc = cs_txn_put_part(txn, table, time_key, &all, err);
    cs_batch_free(&all);
    return rc;
}

size_t cs_txn_group_count(struct cs_txn *txn, int table, int32_t time_key)
{
    struct grp *g = NULL;
    size_t n = 0;
    if (key_groups(txn, table, time_key, &g, &n, NULL) != CS_OK) return 0;
    free(g);
    return n;
}

/* read_put() - decode the columns of pending row group p that `want` names (bit c: column c)
 * into b's columns (replacing them). */
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
    free(blk);
    return rc;
}

/* read_group() - the `want` columns of one group into b (columns replaced, b->rows set). */
static int read_group(struct cs_txn *txn,
                      const struct grp *g,
                      uint32_t want,
                      struct cs_batch *b,
                      struct cs_error *err)
{
    const int table = g->p.table;
    int rc = CS_OK;
    if (g->p.file == UINT32_MAX) {
        rc = read_put(txn, &g->p, want, b, err);
    } else {
        for (int c = 0; rc == CS_OK && c < b->table->ncols; c++) {
            if ((want >> c) & 1u)
                rc = cs_snap_read_col(txn->base, table, g->base, c, &b->cols[c], err);
        }
        cs_snap_release_part(txn->base, table, g->base); /* decoded: its pages are not needed */
    }
    b->rows = g->p.rows;
    return rc;
}

/* read_groups() - the `want` columns of the partition's groups, concatenated, into b. */
static int read_groups(struct cs_txn *txn,
                       int table,
                       int32_t time_key,
                       uint32_t want,
                       struct cs_batch *b,
                       struct cs_error *err)
{
    cs_batch_reset(b);
    struct grp *g = NULL;
    size_t n = 0;
    int rc = key_groups(txn, table, time_key, &g, &n, err);
    if (rc == CS_OK && n == 1) rc = read_group(txn, &g[0], want, b, err);
    if (rc == CS_OK && n > 1) {
        struct cs_batch one;
        cs_batch_init(&one, b->table);
        for (size_t i = 0; rc == CS_OK && i < n; i++) {
            rc = read_group(txn, &g[i], want, &one, err);
            for (int c = 0; rc == CS_OK && c < b->table->ncols; c++) {
                if (((want >> c) & 1u) &&
                    !cs_col_append_range(&b->cols[c], &one.cols[c], 0, one.cols[c].len))
                    rc = cs_error_set(err, CS_ENOMEM, "out of memory");
            }
            b->rows += g[i].p.rows;
        }
        cs_batch_free(&one);
    }
    free(g);
    if (rc != CS_OK) cs_batch_reset(b);
    return rc;
}

int cs_txn_read_part(
    struct cs_txn *txn, int table, int32_t time_key, struct cs_batch *b, struct cs_error *err)
{
    if (txn == NULL || b == NULL || b->table == NULL || b->table->id != table) {
        return cs_error_set(err, CS_EINVAL, "read_part: batch is not of table %d", table);
    }
    return read_groups(txn, table, time_key, ~0u, b, err);
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
    return read_groups(txn, table, time_key, want, b, err);
}

/* --- copies --- */

int cs_txn_copy_group(struct cs_txn *txn, int table, size_t i, struct cs_error *err)
{
    const uint8_t *blk = NULL;
    const struct cs_mpart *src = NULL;
    int rc = cs_snap_block_checked(txn->base, table, i, &src, &blk, err);
    struct cs_part_ranges r;
    if (rc == CS_OK) rc = cs_snap_part_ranges(txn->base, table, i, &r, err);
    if (rc == CS_OK && txn->data_fd < 0) rc = open_data_file(txn, err);
    if (rc != CS_OK) return rc;
    struct cs_mpart p = *src;
    p.key_min = r.key_min;
    p.key_max = r.key_max;
    p.id_min = r.id_min;
    p.id_max = r.id_max;
    p.has_ranges = true;
    p.file = UINT32_MAX;
    p.off = txn->data_size;
    rc = cs_sio_write_all(txn->data_fd, blk, (size_t)p.len, txn->data_path, err);
    if (rc != CS_OK) {
        txn->broken = true;
        return rc;
    }
    txn->data_size += p.len;
    cs_store_kill_point("block_written");
    cs_snap_release_part(txn->base, table, i); /* copied: its pages are not needed */
    return add_put(txn, &p, PUT_GROUP, err);
}

/* --- commit --- */

struct seq_put {
    const struct txn_put *u;
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
    int c = cmp_key(&a->u->p, &b->u->p);
    if (c != 0) return c;
    return a->seq < b->seq ? -1 : (a->seq > b->seq ? 1 : 0);
}

/* sorted_puts() - the puts by partition key, in put order within a key. */
static struct seq_put *sorted_puts(const struct cs_txn *txn)
{
    struct seq_put *s = malloc((txn->nputs + 1) * sizeof(*s));
    if (s == NULL) return NULL;
    for (size_t i = 0; i < txn->nputs; i++)
        s[i] = (struct seq_put){&txn->puts[i], i};
    qsort(s, txn->nputs, sizeof(*s), cmp_seq_put);
    return s;
}

/* with_ranges() - the base's row groups with their key and id ranges: a format 1 manifest has
 * none, so they are read from the block headers (once: the first commit to such a store). */
static int with_ranges(struct cs_txn *txn, struct cs_mpart **out, struct cs_error *err)
{
    const struct cs_manifest *m = txn->base->m;
    *out = m->parts;
    bool all = true;
    for (uint32_t i = 0; i < m->nparts && all; i++)
        all = m->parts[i].has_ranges;
    if (all) return CS_OK;
    struct cs_mpart *p = malloc((m->nparts + 1) * sizeof(*p));
    if (p == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
    memcpy(p, m->parts, m->nparts * sizeof(*p));
    int rc = CS_OK;
    for (uint32_t i = 0; i < m->nparts && rc == CS_OK; i++) {
        struct cs_part_ranges r;
        const int table = p[i].table;
        rc = cs_snap_part_ranges(txn->base, table, i - m->first[table], &r, err);
        p[i].key_min = r.key_min;
        p[i].key_max = r.key_max;
        p[i].id_min = r.id_min;
        p[i].id_max = r.id_max;
        p[i].has_ranges = true;
    }
    if (rc != CS_OK) {
        free(p);
        return rc;
    }
    *out = p;
    return CS_OK;
}

/* merge_parts() - base row groups (with ranges) overlaid with the puts, in (table, time_key,
 * seq) order; out holds base->nparts + nputs entries, scratch nputs + the longest base
 * partition. */
static size_t merge_parts(const struct cs_manifest *base,
                          const struct cs_mpart *parts,
                          const struct seq_put *s,
                          size_t ns,
                          struct grp *scratch,
                          struct cs_mpart *out)
{
    size_t i = 0, j = 0, n = 0;
    while (i < base->nparts || j < ns) {
        int c = i == base->nparts ? 1 : (j == ns ? -1 : cmp_key(&parts[i], &s[j].u->p));
        if (c < 0) {
            out[n++] = parts[i++];
            continue;
        }
        /* the key of s[j]: its base groups, then its puts in order */
        size_t k = 0;
        while (i < base->nparts && cmp_key(&parts[i], &s[j].u->p) == 0)
            scratch[k++] = (struct grp){parts[i++], 0};
        const size_t from = j;
        while (j < ns && cmp_key(&s[j].u->p, &s[from].u->p) == 0)
            apply_put(s[j++].u, scratch, &k);
        for (size_t g = 0; g < k; g++)
            out[n++] = scratch[g].p;
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

/* longest_run() - the most row groups any one partition of m has. */
static size_t longest_run(const struct cs_manifest *m)
{
    size_t best = 0;
    for (size_t i = 0; i < m->nparts;) {
        size_t j = i + 1;
        while (j < m->nparts && cmp_key(&m->parts[i], &m->parts[j]) == 0)
            j++;
        best = j - i > best ? j - i : best;
        i = j;
    }
    return best;
}

static int build_manifest(struct cs_txn *txn, struct cs_manifest *m, struct cs_error *err)
{
    const struct cs_manifest *base = txn->base->m;
    memset(m, 0, sizeof(*m));
    m->version = txn->id;
    struct cs_mpart *parts = NULL;
    int rc = with_ranges(txn, &parts, err);
    if (rc != CS_OK) return rc;
    struct seq_put *s = sorted_puts(txn);
    struct grp *scratch = malloc((txn->nputs + longest_run(base) + 1) * sizeof(*scratch));
    m->parts = malloc((base->nparts + txn->nputs + 1) * sizeof(*m->parts));
    m->files = malloc((base->nfiles + 2) * sizeof(*m->files));
    uint32_t *remap = malloc((base->nfiles + 1) * sizeof(*remap));
    if (s == NULL || scratch == NULL || m->parts == NULL || m->files == NULL || remap == NULL) {
        rc = cs_error_set(err, CS_ENOMEM, "commit: out of memory");
        cs_man_free(m);
    } else {
        size_t n = merge_parts(base, parts, s, txn->nputs, scratch, m->parts);
        m->nparts = (uint32_t)n;
        assign_files(txn, m, remap);
        cs_man_index(m);
    }
    free(s);
    free(scratch);
    free(remap);
    if (parts != base->parts) free(parts);
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
