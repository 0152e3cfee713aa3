/*
 * Opening a store and reading it through snapshots (store.h). A snapshot pins one manifest
 * version by holding its MANIFEST-<version> file open with a shared flock: writers delete a
 * manifest (and the data files only it needs) only when they can lock it exclusively, so
 * the files a snapshot needs outlive it in every process (docs/storage-format.md §7).
 * Data files are mapped lazily, once per snapshot, under the snapshot's mutex, and then
 * read lock-free by any number of threads.
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/base/schema.h"
#include "storage/segment.h"

static int check_dir(const char *dir, unsigned flags, struct cs_error *err)
{
    if ((flags & CS_OPEN_CREATE) != 0 && mkdir(dir, 0755) != 0 && errno != EEXIST) {
        return cs_error_set(err, CS_EIO, "could not create \"%s\": %s", dir, strerror(errno));
    }
    struct stat sb;
    if (stat(dir, &sb) != 0) {
        return cs_error_set(err, CS_EIO, "could not open store \"%s\": %s", dir, strerror(errno));
    }
    if (!S_ISDIR(sb.st_mode)) {
        return cs_error_set(err, CS_EIO, "could not open store \"%s\": %s", dir, strerror(ENOTDIR));
    }
    return CS_OK;
}

int cs_store_open(const char *dir, unsigned flags, struct cs_store **out, struct cs_error *err)
{
    *out = NULL;
    if (dir == NULL || strlen(dir) + 64 >= CS_PATH_MAX) {
        return cs_error_set(err, CS_EINVAL, "store directory name is missing or too long");
    }
    int rc = check_dir(dir, flags, err);
    if (rc != CS_OK) return rc;
    char path[CS_PATH_MAX];
    rc = cs_sio_path(path, err, dir, CS_CURRENT_NAME);
    if (rc != CS_OK) return rc;
    if (access(path, F_OK) != 0) {
        if (errno != ENOENT) {
            return cs_error_set(err, CS_EIO, "could not open \"%s\": %s", path, strerror(errno));
        }
        if ((flags & CS_OPEN_CREATE) == 0) {
            return cs_error_set(err, CS_ECORRUPT, "%s: not a colstore store (no %s file)", dir,
                                CS_CURRENT_NAME);
        }
        rc = cs_store_create_empty(dir, err);
        if (rc != CS_OK) return rc;
    }
    struct cs_store *st = calloc(1, sizeof(*st));
    if (st == NULL || (st->dir = strdup(dir)) == NULL) {
        free(st);
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    st->flags = flags;
    atomic_init(&st->txn_active, false);
    if (pthread_mutex_init(&st->cache_mu, NULL) != 0) {
        free(st->dir);
        free(st);
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    if (pthread_mutex_init(&st->smap_mu, NULL) != 0) {
        (void)pthread_mutex_destroy(&st->cache_mu);
        free(st->dir);
        free(st);
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    /* Validate the current manifest now, so that a damaged store fails at open. */
    struct cs_snap *snap;
    rc = cs_snap_open_fresh(st, &snap, err);
    if (rc != CS_OK) {
        cs_store_close(st);
        return rc;
    }
    cs_snap_close(snap); /* its manifest stays in st->cache for the next snapshot */
    *out = st;
    return CS_OK;
}

static void mref_put(struct cs_mref *r)
{
    if (r != NULL && atomic_fetch_sub(&r->refs, 1) == 1) {
        cs_man_free(&r->m);
        free(r);
    }
}

static void smap_free(struct cs_smap *sm)
{
    free((void *)(uintptr_t)sm->checked);
    free(sm);
}

void cs_store_close(struct cs_store *st)
{
    if (st == NULL) return;
    for (size_t i = 0; i < st->nsmaps; i++) { /* every snapshot is closed: no references */
        (void)munmap((void *)(uintptr_t)st->smaps[i]->base, (size_t)st->smaps[i]->size);
        smap_free(st->smaps[i]);
    }
    free(st->smaps);
    (void)pthread_mutex_destroy(&st->smap_mu);
    mref_put(st->cache);
    (void)pthread_mutex_destroy(&st->cache_mu);
    free(st->dir);
    free(st);
}

const char *cs_store_dir(const struct cs_store *st)
{
    return st->dir;
}

/* pin_version() - open MANIFEST-<v> and hold LOCK_SH on it. *fd = -1 (CS_OK) when the
 * manifest vanished under a concurrent writer: the caller reads CURRENT again. */
static int pin_version(const char *dir, uint64_t v, int *fd, char *path, struct cs_error *err)
{
    int rc = cs_sio_path(path, err, dir, "MANIFEST-%012" PRIu64, v);
    if (rc != CS_OK) return rc;
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0) {
        if (errno == ENOENT) return CS_OK;
        return cs_error_set(err, CS_EIO, "could not open \"%s\": %s", path, strerror(errno));
    }
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
    mref_put(old);
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
        int rc = cs_read_current(st->dir, &v, err);
        if (rc != CS_OK) return rc;
        rc = pin_version(st->dir, v, &snap->pin_fd, path, err);
        if (rc != CS_OK) return rc;
        if (snap->pin_fd < 0) {
            uint64_t again;
            rc = cs_read_current(st->dir, &again, err);
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
    int rc = cs_read_current(st->dir, &current, err);
    if (rc != CS_OK) return rc;
    /* a manifest newer than CURRENT is a killed writer's orphan, never committed */
    if (v > current)
        return cs_error_set(err, CS_EINVAL,
                            "%s: no version %" PRIu64 " (the newest is %" PRIu64 ")", st->dir, v,
                            current);
    rc = pin_version(st->dir, v, &snap->pin_fd, path, err);
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
        mref_put(snap->mref);
        (void)close(snap->pin_fd);
        free(snap);
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    for (uint32_t i = 0; i < snap->m->nfiles; i++) {
        atomic_init(&snap->maps[i].base, NULL);
        atomic_init(&snap->maps[i].fd, -1);
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

/* newest_names() - whether the newest manifest the store parsed names data file id. */
static bool newest_names(struct cs_store *st, uint64_t id)
{
    bool found = false;
    (void)pthread_mutex_lock(&st->cache_mu);
    const struct cs_manifest *m = st->cache != NULL ? &st->cache->m : NULL;
    size_t lo = 0, hi = m != NULL ? m->nfiles : 0;
    while (lo < hi) { /* files are ordered by id */
        const size_t mid = lo + (hi - lo) / 2;
        if (m->files[mid].id < id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    found = m != NULL && lo < m->nfiles && m->files[lo].id == id;
    (void)pthread_mutex_unlock(&st->cache_mu);
    return found;
}

/* smap_release() - drop one reference to sm (NULL: none), then unmap every mapping that no
 * snapshot uses and that is stale or no longer named by the newest manifest. */
static void smap_release(struct cs_store *st, struct cs_smap *sm)
{
    (void)pthread_mutex_lock(&st->smap_mu);
    if (sm != NULL) sm->refs--;
    for (size_t i = 0; i < st->nsmaps;) {
        struct cs_smap *x = st->smaps[i];
        if (x->refs == 0 && (x->stale || !newest_names(st, x->id))) {
            st->smaps[i] = st->smaps[--st->nsmaps];
            (void)munmap((void *)(uintptr_t)x->base, (size_t)x->size);
            smap_free(x);
        } else {
            i++;
        }
    }
    (void)pthread_mutex_unlock(&st->smap_mu);
}

void cs_snap_close(struct cs_snap *snap)
{
    if (snap == NULL) return;
    for (uint32_t i = 0; i < snap->m->nfiles; i++) {
        if (snap->maps[i].smap != NULL) smap_release(snap->st, snap->maps[i].smap);
        free(snap->maps[i].path);
        const int fd = atomic_load(&snap->maps[i].fd);
        if (fd >= 0) (void)close(fd);
    }
    for (uint32_t i = 0; snap->headers != NULL && i < snap->m->nparts; i++)
        free(atomic_load(&snap->headers[i]));
    free(snap->headers);
    smap_release(snap->st, NULL); /* also those an older snapshot left unused */
    (void)pthread_mutex_destroy(&snap->map_mu);
    free(snap->maps);
    free(snap->header_ok);
    mref_put(snap->mref);
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
    struct cs_part_info info = {0, 0, 0, 0};
    if (i >= cs_snap_part_count(snap, table)) return info;
    const struct cs_mpart *p = &snap->m->parts[snap->m->first[table] + i];
    info.time_key = p->time_key;
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

/* smap_find() - a new reference to the store's mapping of f if it is still the file at
 * `path` (stat: same device, inode, size), or NULL. */
static struct cs_smap *
smap_find(struct cs_store *st, const struct cs_mfile *f, const struct stat *sb)
{
    struct cs_smap *found = NULL;
    (void)pthread_mutex_lock(&st->smap_mu);
    for (size_t i = 0; i < st->nsmaps && found == NULL; i++) {
        struct cs_smap *sm = st->smaps[i];
        if (sm->id != f->id || sm->stale) continue;
        if (sm->size == f->size && sm->dev == (uint64_t)sb->st_dev &&
            sm->ino == (uint64_t)sb->st_ino && (uint64_t)sb->st_size == sm->size) {
            sm->refs++;
            found = sm;
        } else {
            sm->stale = true; /* replaced on disk: let it go once unused */
        }
    }
    (void)pthread_mutex_unlock(&st->smap_mu);
    return found;
}

static uint64_t checked_slot(uint64_t key)
{
    return key * UINT64_C(0x9E3779B97F4A7C15) >> 17;
}

bool cs_smap_checked(const struct cs_smap *sm, uint64_t off)
{
    if (sm == NULL || sm->checked == NULL) return false;
    const uint64_t key = off + 1;
    for (size_t i = checked_slot(key), n = 0; n <= sm->checked_mask; i++, n++) {
        const uint64_t k =
            atomic_load_explicit(&sm->checked[i & sm->checked_mask], memory_order_acquire);
        if (k == key) return true;
        if (k == 0) return false;
    }
    return false;
}

void cs_smap_set_checked(struct cs_smap *sm, uint64_t off)
{
    if (sm == NULL || sm->checked == NULL) return;
    const uint64_t key = off + 1;
    /* at most half full: a long probe means the table is full enough, forget the rest */
    for (size_t i = checked_slot(key), n = 0; n <= sm->checked_mask / 2; i++, n++) {
        _Atomic uint64_t *slot = &sm->checked[i & sm->checked_mask];
        uint64_t k = atomic_load_explicit(slot, memory_order_acquire);
        if (k == key) return;
        if (k == 0 && atomic_compare_exchange_strong_explicit(slot, &k, key, memory_order_release,
                                                              memory_order_acquire))
            return;
        if (k == key) return; /* another thread inserted it meanwhile */
    }
}

/* smap_add() - register a new mapping (one reference); false when memory runs out. Its
 * checked set is sized for the blocks the manifest of `m` places in the file (later
 * manifests place no more there: data files are immutable). */
static struct cs_smap *smap_add(struct cs_store *st,
                                const struct cs_manifest *m,
                                const struct cs_mfile *f,
                                uint32_t fi,
                                const struct stat *sb,
                                const uint8_t *base)
{
    struct cs_smap *sm = malloc(sizeof(*sm));
    if (sm == NULL) return NULL;
    *sm = (struct cs_smap){
        f->id, f->size, (uint64_t)sb->st_dev, (uint64_t)sb->st_ino, base, 1, false, NULL, 0};
    size_t blocks = 0;
    for (size_t i = 0; i < m->nparts; i++)
        blocks += m->parts[i].file == fi ? 1 + (size_t)m->parts[i].ncols : 0;
    size_t slots = 64;
    while (slots < 4 * blocks)
        slots *= 2;
    sm->checked = calloc(slots, sizeof(*sm->checked)); /* NULL: nothing remembered */
    sm->checked_mask = sm->checked != NULL ? slots - 1 : 0;
    (void)pthread_mutex_lock(&st->smap_mu);
    if (st->nsmaps == st->smaps_cap) {
        const size_t cap = st->smaps_cap < 8 ? 8 : 2 * st->smaps_cap;
        struct cs_smap **p = realloc(st->smaps, cap * sizeof(*p));
        if (p == NULL) {
            (void)pthread_mutex_unlock(&st->smap_mu);
            smap_free(sm);
            return NULL;
        }
        st->smaps = p;
        st->smaps_cap = cap;
    }
    st->smaps[st->nsmaps++] = sm;
    (void)pthread_mutex_unlock(&st->smap_mu);
    return sm;
}

static int map_locked(struct cs_snap *snap, uint32_t fi, const char *path, struct cs_error *err)
{
    const struct cs_mfile *f = &snap->m->files[fi];
    struct stat sb;
    if (stat(path, &sb) == 0 && (uint64_t)sb.st_size == f->size) {
        struct cs_smap *sm = smap_find(snap->st, f, &sb);
        if (sm != NULL && (snap->maps[fi].path = strdup(path)) == NULL) {
            smap_release(snap->st, sm);
            return cs_error_set(err, CS_ENOMEM, "out of memory");
        }
        if (sm != NULL) {
            snap->maps[fi].smap = sm;
            snap->maps[fi].size = (size_t)f->size;
            atomic_store_explicit(&snap->maps[fi].base, sm->base, memory_order_release);
            return CS_OK;
        }
    }
    int fd;
    int rc = cs_sio_open(path, O_RDONLY, &fd, err);
    if (rc != CS_OK && errno == ENOENT) { /* the pinned manifest names it: damage */
        return cs_error_set(err, CS_ECORRUPT, "%s: data file is missing", path);
    }
    if (rc != CS_OK) return rc;
    if (fstat(fd, &sb) != 0) {
        rc = cs_error_set(err, CS_EIO, "could not stat \"%s\": %s", path, strerror(errno));
    } else if ((uint64_t)sb.st_size != f->size || f->size > SIZE_MAX) {
        rc = cs_error_set(err, CS_ECORRUPT, "%s: data file is %lld bytes, manifest says %" PRIu64,
                          path, (long long)sb.st_size, f->size);
    }
    void *base = MAP_FAILED;
    if (rc == CS_OK) {
        base = mmap(NULL, (size_t)f->size, PROT_READ, MAP_SHARED, fd, 0);
        if (base == MAP_FAILED) {
            rc = cs_error_set(err, CS_EIO, "could not map \"%s\": %s", path, strerror(errno));
        }
    }
    (void)close(fd);
    if (rc == CS_OK) rc = cs_data_header_check(base, (size_t)f->size, f->id, path, err);
    struct cs_smap *sm = NULL;
    if (rc == CS_OK && (snap->maps[fi].path = strdup(path)) == NULL)
        rc = cs_error_set(err, CS_ENOMEM, "out of memory");
    if (rc == CS_OK && (sm = smap_add(snap->st, snap->m, f, fi, &sb, base)) == NULL) {
        free(snap->maps[fi].path);
        snap->maps[fi].path = NULL;
        rc = cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    if (rc != CS_OK) {
        if (base != MAP_FAILED) (void)munmap(base, (size_t)f->size);
        return rc;
    }
    snap->maps[fi].smap = sm;
    snap->maps[fi].size = (size_t)f->size;
    atomic_store_explicit(&snap->maps[fi].base, (const uint8_t *)base, memory_order_release);
    return CS_OK;
}

static void data_path(const struct cs_snap *snap, uint32_t fi, char path[CS_PATH_MAX])
{
    char name[64];
    cs_sio_data_name(name, snap->m->files[fi].id);
    (void)cs_sio_path(path, NULL, snap->st->dir, "%s", name);
}

int cs_snap_map_file(struct cs_snap *snap, uint32_t fi, const uint8_t **base, struct cs_error *err)
{
    *base = atomic_load_explicit(&snap->maps[fi].base, memory_order_acquire);
    if (*base != NULL) return CS_OK;
    char path[CS_PATH_MAX];
    data_path(snap, fi, path);
    int rc = CS_OK;
    (void)pthread_mutex_lock(&snap->map_mu);
    if (atomic_load_explicit(&snap->maps[fi].base, memory_order_acquire) == NULL) {
        rc = map_locked(snap, fi, path, err);
    }
    (void)pthread_mutex_unlock(&snap->map_mu);
    *base = atomic_load_explicit(&snap->maps[fi].base, memory_order_acquire);
    return rc;
}

int cs_snap_block(struct cs_snap *snap,
                  const struct cs_mpart *p,
                  const uint8_t **blk,
                  const char **file_path,
                  char path_buf[CS_PATH_MAX],
                  struct cs_error *err)
{
    const uint8_t *base;
    *file_path = path_buf;
    int rc = cs_snap_map_file(snap, p->file, &base, err);
    if (rc != CS_OK) {
        data_path(snap, p->file, path_buf);
        return rc;
    }
    /* mapped: its path was kept then (copied, as callers own path_buf) */
    const char *kept = snap->maps[p->file].path;
    const size_t n = strlen(kept);
    memcpy(path_buf, kept, n + 1 < CS_PATH_MAX ? n + 1 : CS_PATH_MAX);
    *blk = base + p->off; /* off + len <= file size: checked by cs_man_decode and the map */
    return CS_OK;
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
    rc = cs_seg_decode(blk + off, (size_t)len, out, path, err);
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

/* ------------------------------------------------------------------ CS_OPEN_PREAD reads */

/* read_at() - exactly n bytes of fd at off into buf; a short file is damage. */
static int
read_at(int fd, void *buf, size_t n, uint64_t off, const char *path, struct cs_error *err)
{
    size_t done = 0;
    while (done < n) {
        const ssize_t r = pread(fd, (uint8_t *)buf + done, n - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0)
            return cs_error_set(err, CS_EIO, "could not read \"%s\": %s", path, strerror(errno));
        if (r == 0) return cs_error_set(err, CS_ECORRUPT, "%s: data file ends early", path);
        done += (size_t)r;
    }
    return CS_OK;
}

/* pread_fd() - data file fi opened for reading (once per snapshot, under map_mu): its size
 * and header checked as map_locked() checks a mapping. */
static int pread_fd(struct cs_snap *snap, uint32_t fi, int *out, struct cs_error *err)
{
    *out = atomic_load_explicit(&snap->maps[fi].fd, memory_order_acquire);
    if (*out >= 0) return CS_OK;
    char path[CS_PATH_MAX];
    data_path(snap, fi, path);
    (void)pthread_mutex_lock(&snap->map_mu);
    int rc = CS_OK, fd = atomic_load_explicit(&snap->maps[fi].fd, memory_order_acquire);
    if (fd < 0) {
        const struct cs_mfile *f = &snap->m->files[fi];
        rc = cs_sio_open(path, O_RDONLY, &fd, err);
        if (rc != CS_OK && errno == ENOENT)
            rc = cs_error_set(err, CS_ECORRUPT, "%s: data file is missing", path);
        struct stat sb;
        uint8_t hdr[CS_DATA_HEADER_SIZE];
        if (rc == CS_OK && fstat(fd, &sb) != 0) {
            rc = cs_error_set(err, CS_EIO, "could not stat \"%s\": %s", path, strerror(errno));
        } else if (rc == CS_OK && (uint64_t)sb.st_size != f->size) {
            rc = cs_error_set(err, CS_ECORRUPT,
                              "%s: data file is %lld bytes, manifest says %" PRIu64, path,
                              (long long)sb.st_size, f->size);
        }
        if (rc == CS_OK) rc = read_at(fd, hdr, sizeof(hdr), 0, path, err);
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
    data_path(snap, p->file, path);
    if (p->len < hl) {
        return cs_error_set(err, CS_ECORRUPT, "%s: partition at offset %" PRIu64 ": bad magic",
                            path, p->off);
    }
    h = malloc(hl);
    if (h == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
    int rc = read_at(fd, h, hl, p->off, path, err);
    const uint8_t *c = NULL;
    if (rc == CS_OK) rc = cs_part_header_check(h, (size_t)p->len, p, path, &c, err);
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
    data_path(snap, p->file, path);
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
    return read_at(fd, *buf, (size_t)*len, p->off + off, path, err);
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
    return cs_seg_view_open(v->raw, (size_t)len, kind, v, path, err);
}

int cs_snap_view_col(struct cs_snap *snap,
                     int table,
                     size_t i,
                     int col,
                     int kind,
                     struct cs_seg_view *v,
                     struct cs_error *err)
{
    if (snap->pread) {
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
