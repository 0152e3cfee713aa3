/*
 * Opening and closing a store (store.h). The store directory is opened once and every file
 * below it is reached through that descriptor (store_io.h), so the handle keeps reading and
 * writing the directory it checked, whatever is renamed or planted later.
 *
 * What open accepts (docs/storage-format.md §1, "Opening and creating"):
 *
 *   CURRENT exists ──────────────────────────────→ a store: open it (a damaged manifest or
 *                                                  CURRENT is CS_ECORRUPT at open)
 *   no CURRENT, and the directory holds
 *     nothing, or only what an interrupted creation leaves (LOCK, CURRENT.tmp, an empty
 *     data/, an empty or version-0 empty MANIFEST-000000000000)
 *                    ──CS_OPEN_CREATE──→ create the store there; else "not a store"
 *     any other MANIFEST-<v>, a data/<id>.cseg ─→ CS_ECORRUPT: a store that lost CURRENT;
 *                                              nothing is changed, the message says how
 *                                              to recover
 *     anything else ─────────────────────────→ not a store: never turned into one
 *
 * Nothing here deletes a file that is not one of the engine's own names in a store.
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

/* What a directory without CURRENT holds, in increasing order of precedence. */
enum dir_kind {
    DIR_EMPTY,      /* nothing */
    DIR_UNFINISHED, /* only the names an interrupted cs_store_create_empty() leaves */
    DIR_FOREIGN,    /* something that is not ours: never made into a store */
    DIR_DAMAGED,    /* a store's manifests or data files without CURRENT */
};

struct dir_scan {
    enum dir_kind kind;
    char evidence[300]; /* the first name that decided DIR_FOREIGN / DIR_DAMAGED */
    bool have_manifest;
    uint64_t newest; /* the highest MANIFEST-<v> seen */
};

static void scan_note(struct dir_scan *s, enum dir_kind k, const char *prefix, const char *name)
{
    if (k <= s->kind) return;
    s->kind = k;
    (void)snprintf(s->evidence, sizeof(s->evidence), "%s%s", prefix, name);
}

static bool manifest_name(const char *name, uint64_t *v)
{
    if (strncmp(name, "MANIFEST-", 9) != 0 || strlen(name) != 21) return false;
    *v = 0;
    for (int i = 9; i < 21; i++) {
        if (name[i] < '0' || name[i] > '9') return false;
        *v = *v * 10 + (uint64_t)(name[i] - '0');
    }
    return true;
}

static bool data_file_name(const char *name)
{
    if (strlen(name) != 17 || strcmp(name + 12, ".cseg") != 0) return false;
    for (int i = 0; i < 12; i++) {
        if (name[i] < '0' || name[i] > '9') return false;
    }
    return true;
}

/* empty_v0() - whether MANIFEST-000000000000 is what an interrupted creation leaves: an empty
 * file or the empty manifest of version 0 (no data: removing it loses nothing). */
static bool empty_v0(int dfd, const char *dir, const struct stat *sb)
{
    if (sb->st_size == 0) return true;
    if (sb->st_size != CS_MAN_HEADER_SIZE) return false;
    int fd;
    if (cs_sio_openat(dfd, dir, "MANIFEST-000000000000", CS_SIO_READ_FILE, &fd, NULL, NULL) !=
        CS_OK)
        return false;
    struct cs_manifest m;
    const bool ok = cs_man_load_fd(fd, "MANIFEST-000000000000", &m, NULL) == CS_OK;
    (void)close(fd);
    const bool empty = ok && m.version == 0 && m.nfiles == 0 && m.nparts == 0;
    if (ok) cs_man_free(&m);
    return empty;
}

static int scan_data_dir(int dfd, const char *dir, struct dir_scan *s, struct cs_error *err)
{
    int ddfd;
    int rc = cs_sio_openat(dfd, dir, CS_DATA_DIR, CS_SIO_DIRECTORY, &ddfd, NULL, err);
    if (rc != CS_OK) {
        scan_note(s, DIR_FOREIGN, "", CS_DATA_DIR);
        return CS_OK;
    }
    DIR *d;
    rc = cs_sio_opendir(ddfd, dir, &d, err);
    (void)close(ddfd);
    if (rc != CS_OK) return rc;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        scan_note(s, data_file_name(e->d_name) ? DIR_DAMAGED : DIR_FOREIGN, CS_DATA_DIR "/",
                  e->d_name);
    }
    (void)closedir(d);
    return CS_OK;
}

static void scan_entry(int dfd, const char *dir, const char *name, struct dir_scan *s)
{
    struct stat sb;
    uint64_t v;
    const bool reg = cs_sio_statat(dfd, name, &sb) && S_ISREG(sb.st_mode);
    if (manifest_name(name, &v)) {
        if (!s->have_manifest || v > s->newest) s->newest = v;
        s->have_manifest = true;
        const bool unfinished = v == 0 && reg && empty_v0(dfd, dir, &sb);
        scan_note(s, unfinished ? DIR_UNFINISHED : DIR_DAMAGED, "", name);
    } else if (reg && (strcmp(name, CS_LOCK_NAME) == 0 || strcmp(name, CS_CURRENT_TMP) == 0)) {
        scan_note(s, DIR_UNFINISHED, "", name);
    } else if (strcmp(name, CS_DATA_DIR) != 0) {
        scan_note(s, DIR_FOREIGN, "", name);
    }
}

/* scan_dir() - classify the directory open as dfd, which has no CURRENT. */
static int scan_dir(int dfd, const char *dir, struct dir_scan *s, struct cs_error *err)
{
    memset(s, 0, sizeof(*s));
    DIR *d;
    int rc = cs_sio_opendir(dfd, dir, &d, err);
    if (rc != CS_OK) return rc;
    bool has_data = false;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        has_data |= strcmp(e->d_name, CS_DATA_DIR) == 0;
        scan_entry(dfd, dir, e->d_name, s);
    }
    (void)closedir(d);
    if (has_data) {
        if (s->kind < DIR_UNFINISHED) s->kind = DIR_UNFINISHED;
        rc = scan_data_dir(dfd, dir, s, err);
    }
    return rc;
}

/* no_current() - the directory has no CURRENT: create a store, or say what it is. */
static int no_current(int dfd, const char *dir, unsigned flags, struct cs_error *err)
{
    struct dir_scan s;
    int rc = scan_dir(dfd, dir, &s, err);
    if (rc != CS_OK) return rc;
    if (s.kind == DIR_DAMAGED) {
        char newest[32] = "";
        if (s.have_manifest) (void)snprintf(newest, sizeof(newest), "%012" PRIu64, s.newest);
        return cs_error_set(
            err, CS_ECORRUPT,
            "%s: damaged store: %s is missing but %s is present; nothing was changed. To recover, "
            "write the name of the newest manifest whose data files all exist into %s (e.g. "
            "printf 'MANIFEST-%s\\n' > %s/%s) and run `colquery verify`, or restore a backup",
            dir, CS_CURRENT_NAME, s.evidence, CS_CURRENT_NAME,
            s.have_manifest ? newest : "<version>", dir, CS_CURRENT_NAME);
    }
    if ((flags & CS_OPEN_CREATE) == 0) {
        return cs_error_set(err, CS_ECORRUPT, "%s: not a colstore store (no %s file)", dir,
                            CS_CURRENT_NAME);
    }
    if (s.kind == DIR_FOREIGN) {
        return cs_error_set(err, CS_EINVAL,
                            "%s: not a colstore store and not empty (it holds \"%s\"): a store is "
                            "created only in a new or empty directory",
                            dir, s.evidence);
    }
    return cs_store_create_empty(dfd, dir, err);
}

static int open_dirs(const char *dir, unsigned flags, struct cs_store *st, struct cs_error *err)
{
    bool created;
    int rc = cs_sio_open_root(dir, (flags & CS_OPEN_CREATE) != 0, &st->dfd, &created, err);
    if (rc != CS_OK) return rc;
    struct stat sb;
    if (!cs_sio_statat(st->dfd, CS_CURRENT_NAME, &sb)) {
        if (errno != ENOENT) {
            return cs_error_set(err, CS_EIO, "could not open \"%s/%s\": %s", dir, CS_CURRENT_NAME,
                                strerror(errno));
        }
        rc = no_current(st->dfd, dir, flags, err);
        if (rc != CS_OK) return rc;
    }
    bool missing = false;
    rc = cs_sio_openat(st->dfd, dir, CS_DATA_DIR, CS_SIO_DIRECTORY, &st->ddfd, &missing, err);
    if (rc != CS_OK && missing) {
        return cs_error_set(err, CS_ECORRUPT, "%s: damaged store: the %s directory is missing", dir,
                            CS_DATA_DIR);
    }
    if (rc == CS_ECORRUPT) { /* data is a symlink or a file */
        return cs_error_set(err, CS_ECORRUPT, "%s/%s: is not a directory of the store", dir,
                            CS_DATA_DIR);
    }
    return rc;
}

static struct cs_store *store_new(const char *dir, unsigned flags)
{
    struct cs_store *st = calloc(1, sizeof(*st));
    if (st == NULL) return NULL;
    st->dfd = st->ddfd = -1;
    st->flags = flags;
    atomic_init(&st->txn_active, false);
    st->dir = strdup(dir);
    char data[CS_PATH_MAX];
    if (st->dir != NULL && cs_sio_path(data, NULL, dir, CS_DATA_DIR) == CS_OK)
        st->data_dir = strdup(data);
    if (st->data_dir == NULL || pthread_mutex_init(&st->cache_mu, NULL) != 0) {
        free(st->dir);
        free(st->data_dir);
        free(st);
        return NULL;
    }
    if (pthread_mutex_init(&st->smap_mu, NULL) != 0) {
        (void)pthread_mutex_destroy(&st->cache_mu);
        free(st->dir);
        free(st->data_dir);
        free(st);
        return NULL;
    }
    return st;
}

int cs_store_open(const char *dir, unsigned flags, struct cs_store **out, struct cs_error *err)
{
    *out = NULL;
    if (dir == NULL || *dir == '\0' || strlen(dir) + 64 >= CS_PATH_MAX) {
        return cs_error_set(err, CS_EINVAL, "store directory name is missing or too long");
    }
    struct cs_store *st = store_new(dir, flags);
    if (st == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
    int rc = open_dirs(dir, flags, st, err);
    /* Validate the current manifest now, so that a damaged store fails at open. */
    struct cs_snap *snap = NULL;
    if (rc == CS_OK) rc = cs_snap_open_fresh(st, &snap, err);
    if (rc != CS_OK) {
        cs_store_close(st);
        return rc;
    }
    cs_snap_close(snap); /* its manifest stays in st->cache for the next snapshot */
    *out = st;
    return CS_OK;
}

void cs_store_close(struct cs_store *st)
{
    if (st == NULL) return;
    cs_smap_unmap_all(st); /* every snapshot is closed: no references */
    (void)pthread_mutex_destroy(&st->smap_mu);
    cs_mref_put(st->cache);
    (void)pthread_mutex_destroy(&st->cache_mu);
    if (st->ddfd >= 0) (void)close(st->ddfd);
    if (st->dfd >= 0) (void)close(st->dfd);
    free(st->dir);
    free(st->data_dir);
    free(st);
}

const char *cs_store_dir(const struct cs_store *st)
{
    return st->dir;
}
