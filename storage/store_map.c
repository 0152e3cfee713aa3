/*
 * The mapping cache of a store handle (struct cs_smap in store_int.h) and mapping a data file
 * for a snapshot. Data files never change once committed, so a mapping outlives the snapshot
 * that made it and later snapshots reuse it (no page faults again) after checking with
 * fstatat() that the file is still the one mapped (same device, inode and size). A mapping is
 * unmapped when no snapshot uses it and the newest manifest no longer names the file, or when
 * the store is closed.
 */
#include "storage/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static void smap_free(struct cs_smap *sm)
{
    free((void *)(uintptr_t)sm->checked);
    free(sm);
}

void cs_smap_unmap_all(struct cs_store *st)
{
    for (size_t i = 0; i < st->nsmaps; i++) {
        (void)munmap((void *)(uintptr_t)st->smaps[i]->base, (size_t)st->smaps[i]->size);
        smap_free(st->smaps[i]);
    }
    free(st->smaps);
    st->smaps = NULL;
    st->nsmaps = st->smaps_cap = 0;
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

/* cs_smap_release() - drop one reference to sm (NULL: none), then unmap every mapping that no
 * snapshot uses and that is stale or no longer named by the newest manifest. */
void cs_smap_release(struct cs_store *st, struct cs_smap *sm)
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

/* smap_find() - a new reference to the store's mapping of f if it is still the file
 * (fstatat: same device, inode, size), or NULL. */
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
        // NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers
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
    struct cs_store *st = snap->st;
    char name[64];
    cs_sio_data_file(name, f->id);
    struct stat sb;
    if (cs_sio_statat(st->ddfd, name, &sb) && S_ISREG(sb.st_mode) &&
        (uint64_t)sb.st_size == f->size) {
        struct cs_smap *sm = smap_find(st, f, &sb);
        if (sm != NULL && (snap->maps[fi].path = strdup(path)) == NULL) {
            cs_smap_release(st, sm);
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
    bool missing = false;
    int rc = cs_sio_openat(st->ddfd, st->data_dir, name, CS_SIO_READ_FILE, &fd, &missing, err);
    if (rc != CS_OK && missing) { /* the pinned manifest names it: damage */
        return cs_error_set(err, CS_ECORRUPT, "%s: data file is missing", path);
    }
    if (rc != CS_OK) return rc;
    rc = cs_sio_fstat(fd, path, &sb, err);
    if (rc == CS_OK && ((uint64_t)sb.st_size != f->size || f->size > SIZE_MAX)) {
        rc = cs_error_set(err, CS_ECORRUPT, "%s: data file is %lld bytes, manifest says %" PRIu64,
                          path, (long long)sb.st_size, f->size);
    }
    const void *base = NULL;
    if (rc == CS_OK) rc = cs_sio_mmap(fd, (size_t)f->size, &base, path, err);
    (void)close(fd);
    if (rc == CS_OK) rc = cs_data_header_check(base, (size_t)f->size, f->id, path, err);
    struct cs_smap *sm = NULL;
    if (rc == CS_OK && (snap->maps[fi].path = strdup(path)) == NULL)
        rc = cs_error_set(err, CS_ENOMEM, "out of memory");
    if (rc == CS_OK && (sm = smap_add(st, snap->m, f, fi, &sb, base)) == NULL) {
        free(snap->maps[fi].path);
        snap->maps[fi].path = NULL;
        rc = cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    if (rc != CS_OK) {
        if (base != NULL) (void)munmap((void *)(uintptr_t)base, (size_t)f->size);
        return rc;
    }
    snap->maps[fi].smap = sm;
    snap->maps[fi].size = (size_t)f->size;
    atomic_store_explicit(&snap->maps[fi].base, (const uint8_t *)base, memory_order_release);
    return CS_OK;
}

void cs_snap_data_path(const struct cs_snap *snap, uint32_t fi, char path[CS_PATH_MAX])
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
    cs_snap_data_path(snap, fi, path);
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
        cs_snap_data_path(snap, p->file, path_buf);
        return rc;
    }
    /* mapped: its path was kept then (copied, as callers own path_buf) */
    const char *kept = snap->maps[p->file].path;
    const size_t n = strlen(kept);
    memcpy(path_buf, kept, n + 1 < CS_PATH_MAX ? n + 1 : CS_PATH_MAX);
    *blk = base + p->off; /* off + len <= file size: checked by cs_man_decode and the map */
    return CS_OK;
}
