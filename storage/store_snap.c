/*
 * Snapshots (store.h): pinning a manifest version, the parsed-manifest cache and partition
 * lookup. A snapshot pins one version by holding its MANIFEST-<version> file open with a
 * shared flock: writers delete a manifest (and the data files only it needs) only when they
 * can lock it exclusively, so the files a snapshot needs outlive it in every process
 * (docs/storage-format.md §7). Data files are mapped (store_map.c) or read (store_pread.c)
 * lazily; store_read.c reads columns.
 *
 * Snapshot open, racing a committing writer (W):
 *
 *   read CURRENT → v → open MANIFEST-v ─ENOENT→ read CURRENT again: moved on → retry
 *                           │                                 still v → CS_ECORRUPT
 *                           └→ flock(LOCK_SH) → fstat: st_nlink == 0 (W unlinked it
 *                                 while holding LOCK_EX) → retry
 *                              └→ nlink > 0: pinned; parse (or reuse the store's cached
 *                                 parse of version v) → snapshot
 */
#include "storage/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

void cs_mref_put(struct cs_mref *r)
{
    if (r != NULL && atomic_fetch_sub(&r->refs, 1) == 1) {
        cs_man_free(&r->m);
        free(r);
    }
}

/* pin_version() - open MANIFEST-<v> and hold LOCK_SH on it. *fd = -1 (CS_OK) when the
 * manifest vanished under a concurrent writer: the caller reads CURRENT again. */
static int pin_version(struct cs_store *st, uint64_t v, int *fd, char *path, struct cs_error *err)
{
    char name[32];
    (void)snprintf(name, sizeof(name), "MANIFEST-%012" PRIu64, v);
    int rc = cs_sio_path(path, err, st->dir, "%s", name);
    if (rc != CS_OK) return rc;
    bool missing = false;
    rc = cs_sio_openat(st->dfd, st->dir, name, CS_SIO_READ_FILE, fd, &missing, err);
    if (rc != CS_OK) return missing ? CS_OK : rc;
    int r;
    do {
        r = flock(*fd, LOCK_SH);
    } while (r != 0 && errno == EINTR);
    struct stat sb;
    if (r != 0 || fstat(*fd, &sb) != 0) {
        rc = cs_error_set(err, CS_EIO, "could not lock \"%s\": %s", path, strerror(errno));
        (void)close(*fd);
        *fd = -1;
        return rc;
    }
    if (sb.st_nlink == 0) { /* deleted by a writer's cleanup before we locked it */
        (void)close(*fd);
        *fd = -1;
    }
    return CS_OK;
}

/* cached() - a new reference to the cached manifest of version v, or NULL. */
static struct cs_mref *cached(struct cs_store *st, uint64_t v)
{
    struct cs_mref *r = NULL;
    (void)pthread_mutex_lock(&st->cache_mu);
    if (st->cache != NULL && st->cache->m.version == v) {
        r = st->cache;
        atomic_fetch_add(&r->refs, 1);
    }
    (void)pthread_mutex_unlock(&st->cache_mu);
    return r;
}

static void cache_put(struct cs_store *st, struct cs_mref *r)
{
    atomic_fetch_add(&r->refs, 1);
    (void)pthread_mutex_lock(&st->cache_mu);
    struct cs_mref *old = st->cache;
    st->cache = r;
    (void)pthread_mutex_unlock(&st->cache_mu);
    cs_mref_put(old);
}

/* parse_pinned() - read and check the manifest of version v through the pinned fd. A
 * manifest file never changes once CURRENT names it, so a cached parse of it is as good. */
static int parse_pinned(struct cs_store *st,
                        struct cs_snap *snap,
                        uint64_t v,
                        const char *path,
                        bool fresh,
                        struct cs_error *err)
{
    snap->mref = fresh ? NULL : cached(st, v);
    if (snap->mref != NULL) return CS_OK;
    struct cs_mref *r = calloc(1, sizeof(*r));
    if (r == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
    atomic_init(&r->refs, 1);
    int rc = cs_man_load_fd(snap->pin_fd, path, &r->m, err);
    if (rc == CS_OK && r->m.version != v) {
        rc = cs_error_set(err, CS_ECORRUPT, "%s: manifest claims version %" PRIu64, path,
                          r->m.version);
        cs_man_free(&r->m);
    }
    if (rc != CS_OK) {
        free(r);
        return rc;
    }
    cache_put(st, r);
    snap->mref = r;
    return CS_OK;
}

static int snap_load(struct cs_store *st, struct cs_snap *snap, bool fresh, struct cs_error *err)
{
    char path[CS_PATH_MAX];
    for (int attempt = 0; attempt < CS_SNAP_OPEN_RETRIES; attempt++) {
        uint64_t v;
        int rc = cs_read_current(st->dfd, st->dir, &v, NULL, err);
        if (rc != CS_OK) return rc;
        rc = pin_version(st, v, &snap->pin_fd, path, err);
        if (rc != CS_OK) return rc;
        if (snap->pin_fd < 0) {
            uint64_t again;
            rc = cs_read_current(st->dfd, st->dir, &again, NULL, err);
            if (rc != CS_OK) return rc;
            if (again == v) { /* no writer moved CURRENT: the manifest it names is gone */
                return cs_error_set(err, CS_ECORRUPT, "%s: manifest named by %s is missing", path,
                                    CS_CURRENT_NAME);
            }
            continue;
        }
        rc = parse_pinned(st, snap, v, path, fresh, err);
        if (rc != CS_OK) {
            (void)close(snap->pin_fd);
            snap->pin_fd = -1;
        }
        return rc;
    }
    return cs_error_set(err, CS_EBUSY, "%s: manifest changed %d times while opening a snapshot",
                        st->dir, CS_SNAP_OPEN_RETRIES);
}

/* snap_load_version() - pin and read version v, which must still be on disk: a version other
 * than the newest stays only while some snapshot (in any process) pins it. */
static int
snap_load_version(struct cs_store *st, struct cs_snap *snap, uint64_t v, struct cs_error *err)
{
    char path[CS_PATH_MAX];
    uint64_t current = 0;
    int rc = cs_read_current(st->dfd, st->dir, &current, NULL, err);
    if (rc != CS_OK) return rc;
    /* a manifest newer than CURRENT is a killed writer's orphan, never committed */
    if (v > current)
        return cs_error_set(err, CS_EINVAL,
                            "%s: no version %" PRIu64 " (the newest is %" PRIu64 ")", st->dir, v,
                            current);
    rc = pin_version(st, v, &snap->pin_fd, path, err);
    if (rc != CS_OK) return rc;
    if (snap->pin_fd < 0)
        return cs_error_set(err, CS_EINVAL,
                            "%s: version %" PRIu64 " is no longer available (no snapshot pins it)",
                            st->dir, v);
    rc = parse_pinned(st, snap, v, path, false, err);
    if (rc != CS_OK) {
        (void)close(snap->pin_fd);
        snap->pin_fd = -1;
    }
    return rc;
}

/* snap_open() - a snapshot of the newest version (version == UINT64_MAX) or of `version`. */
static int snap_open(
    struct cs_store *st, bool fresh, uint64_t version, struct cs_snap **out, struct cs_error *err)
{
    *out = NULL;
    struct cs_snap *snap = calloc(1, sizeof(*snap));
    if (snap == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
    snap->st = st;
    snap->pin_fd = -1;
    int rc = version == UINT64_MAX ? snap_load(st, snap, fresh, err)
                                   : snap_load_version(st, snap, version, err);
    if (rc != CS_OK) {
        free(snap);
        return rc;
    }
    snap->m = &snap->mref->m;
    snap->maps = calloc(snap->m->nfiles + 1u, sizeof(*snap->maps));
    snap->header_ok = calloc(snap->m->nparts + 1u, sizeof(*snap->header_ok));
    snap->pread = (st->flags & CS_OPEN_PREAD) != 0;
    if (snap->pread) snap->headers = calloc(snap->m->nparts + 1u, sizeof(*snap->headers));
    if (snap->maps == NULL || snap->header_ok == NULL || (snap->pread && snap->headers == NULL) ||
        pthread_mutex_init(&snap->map_mu, NULL) != 0) {
        free(snap->maps);
        free(snap->header_ok);
        free(snap->headers);
        cs_mref_put(snap->mref);
        (void)close(snap->pin_fd);
        free(snap);
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    for (uint32_t i = 0; i < snap->m->nfiles; i++) {
        atomic_init(&snap->maps[i].base, NULL);
        atomic_init(&snap->maps[i].fd, -1);
        atomic_init(&snap->maps[i].mtime_us, 0);
    }
    for (uint32_t i = 0; i < snap->m->nparts; i++) {
        atomic_init(&snap->header_ok[i], 0);
        if (snap->pread) atomic_init(&snap->headers[i], NULL);
    }
    *out = snap;
    return CS_OK;
}

int cs_snap_open(struct cs_store *st, struct cs_snap **out, struct cs_error *err)
{
    return snap_open(st, false, UINT64_MAX, out, err);
}

int cs_snap_open_fresh(struct cs_store *st, struct cs_snap **out, struct cs_error *err)
{
    return snap_open(st, true, UINT64_MAX, out, err);
}

int cs_snap_open_version(struct cs_store *st,
                         uint64_t version,
                         struct cs_snap **out,
                         struct cs_error *err)
{
    if (version == UINT64_MAX) {
        *out = NULL;
        return cs_error_set(err, CS_EINVAL, "%s: no version %" PRIu64, st->dir, version);
    }
    return snap_open(st, false, version, out, err);
}

void cs_snap_close(struct cs_snap *snap)
{
    if (snap == NULL) return;
    for (uint32_t i = 0; i < snap->m->nfiles; i++) {
        if (snap->maps[i].smap != NULL) cs_smap_release(snap->st, snap->maps[i].smap);
        free(snap->maps[i].path);
        const int fd = atomic_load(&snap->maps[i].fd);
        if (fd >= 0) (void)close(fd);
    }
    for (uint32_t i = 0; snap->headers != NULL && i < snap->m->nparts; i++)
        free(atomic_load(&snap->headers[i]));
    free(snap->headers);
    cs_smap_release(snap->st, NULL); /* also those an older snapshot left unused */
    (void)pthread_mutex_destroy(&snap->map_mu);
    free(snap->maps);
    free(snap->header_ok);
    cs_mref_put(snap->mref);
    if (snap->pin_fd >= 0) (void)close(snap->pin_fd); /* releases LOCK_SH */
    free(snap);
}

uint64_t cs_snap_version(const struct cs_snap *snap)
{
    return snap->m->version;
}

static bool table_ok(int table)
{
    return table >= CS_TABLE_MIN && table <= CS_TABLE_MAX;
}

size_t cs_snap_part_count(const struct cs_snap *snap, int table)
{
    if (!table_ok(table)) return 0;
    return snap->m->first[table + 1] - snap->m->first[table];
}

struct cs_part_info cs_snap_part(const struct cs_snap *snap, int table, size_t i)
{
    struct cs_part_info info = {0, 0, 0, 0, 0};
    if (i >= cs_snap_part_count(snap, table)) return info;
    const struct cs_mpart *p = &snap->m->parts[snap->m->first[table] + i];
    info.time_key = p->time_key;
    info.seq = p->seq;
    info.rows = p->rows;
    info.bytes = p->len;
    info.file_id = snap->m->files[p->file].id;
    return info;
}

/* lower_bound() - index (within table) of the first partition with time_key >= key. */
static size_t lower_bound(const struct cs_snap *snap, int table, int64_t key)
{
    const struct cs_mpart *p = &snap->m->parts[snap->m->first[table]];
    size_t lo = 0, hi = cs_snap_part_count(snap, table);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p[mid].time_key < key) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

void cs_snap_part_range(
    const struct cs_snap *snap, int table, int32_t lo, int32_t hi, size_t *first, size_t *end)
{
    *first = *end = 0;
    if (!table_ok(table) || lo > hi) return;
    *first = lower_bound(snap, table, lo);
    *end = lower_bound(snap, table, (int64_t)hi + 1);
}

size_t cs_snap_part_end(const struct cs_snap *snap, int table, size_t i)
{
    const size_t n = cs_snap_part_count(snap, table);
    if (i >= n) return n;
    const struct cs_mpart *p = &snap->m->parts[snap->m->first[table]];
    size_t end = i + 1;
    while (end < n && p[end].time_key == p[i].time_key)
        end++;
    return end;
}
