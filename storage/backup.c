/*
 * cs_snap_backup: a consistent copy of one snapshot as a store of its own.
 *
 * The snapshot pins its manifest (and through it every data file it names) for as long as it is
 * open, whatever writers commit meanwhile, so the copy needs no lock and blocks nobody. Data
 * files are immutable once committed: each is hard-linked into DEST/data/ where DEST is on the
 * same file system (no bytes copied, and the link keeps the file when the store later deletes
 * its own name), copied otherwise. Then, as a commit does, the manifest is written and synced,
 * CURRENT is written as CURRENT.tmp, synced and renamed into place, and DEST is synced: until
 * that rename DEST holds no CURRENT, so an interrupted backup is never taken for a store.
 *
 * Safety (DEST is the user's): DEST must be missing (it is created; its parent must exist) or an
 * empty directory, and may not be a symlink nor lie inside the store; every file is created
 * with O_EXCL | O_NOFOLLOW through storage/store_io.c. On failure, what this run created is
 * removed again, and nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/store_int.h"

#define COPY_CHUNK (1u << 20)

struct backup {
    struct cs_snap *snap;
    char dest[CS_PATH_MAX];
    char data_dir[CS_PATH_MAX]; /* DEST/data, for messages */
    int dfd, ddfd;              /* DEST and DEST/data, open */
    bool made_dest, made_data;
    uint64_t *made; /* ids of the data files created in DEST/data */
    size_t nmade;
    bool made_manifest, made_tmp, made_current;
    char manifest[64];
    struct cs_backup_stats st;
};

/* DEST: created, or an existing empty real directory that is not inside the store. */
static int open_dest(struct backup *b, struct cs_error *err)
{
    struct stat sb;
    if (lstat(b->dest, &sb) == 0 && S_ISLNK(sb.st_mode))
        return cs_error_set(err, CS_EINVAL,
                            "backup destination \"%s\" is a symlink: refusing to follow it",
                            b->dest);
    if (lstat(b->dest, &sb) == 0 && !S_ISDIR(sb.st_mode))
        return cs_error_set(err, CS_EINVAL, "backup destination \"%s\" is not a directory",
                            b->dest);
    int rc = cs_store_check_foreign(b->snap->st, b->dest, -1, "backup destination", err);
    if (rc == CS_OK) rc = cs_sio_open_root(b->dest, true, &b->dfd, &b->made_dest, err);
    if (rc != CS_OK) return rc;
    struct stat now;
    if (fstat(b->dfd, &now) != 0 || lstat(b->dest, &sb) != 0 || now.st_dev != sb.st_dev ||
        now.st_ino != sb.st_ino)
        return cs_error_set(err, CS_EINVAL, "backup destination \"%s\" changed while opened",
                            b->dest);
    rc = cs_store_check_foreign(b->snap->st, b->dest, b->dfd, "backup destination", err);
    if (rc != CS_OK || b->made_dest) return rc;
    DIR *d = NULL;
    rc = cs_sio_opendir(b->dfd, b->dest, &d, err);
    if (rc != CS_OK) return rc;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        rc = cs_error_set(err, CS_EINVAL,
                          "backup destination \"%s\" is not empty (it holds \"%s\"): a backup "
                          "goes into a new or empty directory",
                          b->dest, e->d_name);
        break;
    }
    closedir(d);
    return rc;
}

/* Copy data file `name` (size bytes) from the store into DEST/data, synced. */
static int
copy_file(struct backup *b, const char *name, uint64_t id, uint64_t size, struct cs_error *err)
{
    struct cs_store *st = b->snap->st;
    char from[CS_PATH_MAX], to[CS_PATH_MAX];
    (void)snprintf(from, sizeof(from), "%s/%s", st->data_dir, name);
    (void)snprintf(to, sizeof(to), "%s/%s", b->data_dir, name);
    int in = -1, out = -1;
    uint8_t *buf = NULL;
    int rc = cs_sio_openat(st->ddfd, st->data_dir, name, CS_SIO_READ_FILE, &in, NULL, err);
    if (rc != CS_OK) goto done;
    rc = cs_sio_openat(b->ddfd, b->data_dir, name, CS_SIO_CREATE_NEW, &out, NULL, err);
    if (rc != CS_OK) goto done;
    b->made[b->nmade++] = id; /* ours from now on: removed if the backup fails */
    buf = malloc(COPY_CHUNK);
    if (buf == NULL) {
        rc = cs_error_set(err, CS_ENOMEM, "out of memory");
        goto done;
    }
    for (uint64_t off = 0; off < size && rc == CS_OK;) {
        const size_t n = size - off < COPY_CHUNK ? (size_t)(size - off) : COPY_CHUNK;
        rc = cs_sio_pread_all(in, buf, n, off, from, err);
        if (rc == CS_OK) rc = cs_sio_write_all(out, buf, n, to, err);
        off += n;
    }
    if (rc == CS_OK) rc = cs_sio_fsync(out, to, err);
done:
    free(buf);
    if (in >= 0) (void)cs_sio_close(in, from, NULL);
    if (out >= 0) {
        const int crc = cs_sio_close(out, to, rc == CS_OK ? err : NULL);
        if (rc == CS_OK) rc = crc;
    }
    return rc;
}

/* Every data file the snapshot's manifest names, linked or copied into DEST/data. */
static int put_data(struct backup *b, bool copy_only, struct cs_error *err)
{
    struct cs_store *st = b->snap->st;
    const struct cs_manifest *m = b->snap->m;
    int rc = cs_sio_mkdirat(b->dfd, b->dest, CS_DATA_DIR, err);
    if (rc != CS_OK) return rc;
    b->made_data = true;
    rc = cs_sio_openat(b->dfd, b->dest, CS_DATA_DIR, CS_SIO_DIRECTORY, &b->ddfd, NULL, err);
    if (rc != CS_OK) return rc;
    b->made = calloc(m->nfiles > 0 ? m->nfiles : 1, sizeof(*b->made));
    if (b->made == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < m->nfiles && rc == CS_OK; i++) {
        char name[64];
        cs_sio_data_file(name, m->files[i].id);
        /* the snapshot's file, as the manifest describes it: a regular file of that size */
        struct stat sb;
        if (!cs_sio_statat(st->ddfd, name, &sb) || !S_ISREG(sb.st_mode) ||
            (uint64_t)sb.st_size != m->files[i].size)
            return cs_error_set(err, CS_ECORRUPT,
                                "%s/%s: not the regular file of %" PRIu64
                                " bytes the manifest names",
                                st->data_dir, name, m->files[i].size);
        bool linked = false;
        if (!copy_only)
            rc = cs_sio_linkat(st->ddfd, st->data_dir, name, b->ddfd, b->data_dir, &linked, err);
        if (linked) b->made[b->nmade++] = m->files[i].id;
        if (rc == CS_OK && !linked) rc = copy_file(b, name, m->files[i].id, m->files[i].size, err);
        b->st.files++;
        b->st.bytes += m->files[i].size;
        if (linked)
            b->st.linked++;
        else
            b->st.copied++;
    }
    if (rc == CS_OK) rc = cs_sio_fsync(b->ddfd, b->data_dir, err);
    return rc;
}

/* The manifest, then CURRENT (through CURRENT.tmp and a rename), then DEST synced. */
static int put_manifest(struct backup *b, struct cs_error *err)
{
    const struct cs_snap *snap = b->snap;
    const uint64_t v = snap->m->version;
    char path[CS_PATH_MAX];
    (void)snprintf(b->manifest, sizeof(b->manifest), "MANIFEST-%012" PRIu64, v);
    (void)snprintf(path, sizeof(path), "%s/%s", snap->st->dir, b->manifest);
    struct stat sb;
    uint8_t *bytes = NULL;
    int rc = cs_sio_fstat(snap->pin_fd, path, &sb, err);
    if (rc == CS_OK) rc = cs_sio_read_all(snap->pin_fd, (size_t)sb.st_size, &bytes, path, err);
    if (rc == CS_OK)
        rc = cs_sio_write_new(b->dfd, b->dest, b->manifest, bytes, (size_t)sb.st_size, NULL, err);
    free(bytes);
    if (rc != CS_OK) return rc; /* cs_sio_write_new() removed what it created */
    b->made_manifest = true;
    char text[32];
    const int n = snprintf(text, sizeof(text), "%s\n", b->manifest);
    rc = cs_sio_write_new(b->dfd, b->dest, CS_CURRENT_TMP, text, (size_t)n, NULL, err);
    if (rc != CS_OK) return rc;
    b->made_tmp = true;
    rc = cs_sio_renameat(b->dfd, b->dest, CS_CURRENT_TMP, CS_CURRENT_NAME, err);
    if (rc != CS_OK) return rc;
    b->made_tmp = false;
    b->made_current = true;
    return cs_sio_fsync(b->dfd, b->dest, err);
}

/* Remove what this run created (never anything else). */
static void undo(struct backup *b)
{
    if (b->dfd < 0) return;
    if (b->made_current) (void)cs_sio_unlinkat(b->dfd, b->dest, CS_CURRENT_NAME, NULL);
    if (b->made_tmp) (void)cs_sio_unlinkat(b->dfd, b->dest, CS_CURRENT_TMP, NULL);
    if (b->made_manifest) (void)cs_sio_unlinkat(b->dfd, b->dest, b->manifest, NULL);
    for (size_t i = 0; i < b->nmade && b->ddfd >= 0; i++) {
        char name[64];
        cs_sio_data_file(name, b->made[i]);
        (void)cs_sio_unlinkat(b->ddfd, b->data_dir, name, NULL);
    }
    if (b->made_data) (void)unlinkat(b->dfd, CS_DATA_DIR, AT_REMOVEDIR);
    if (b->made_dest) (void)rmdir(b->dest);
}

int cs_snap_backup(struct cs_snap *snap,
                   const char *dest,
                   bool copy_only,
                   struct cs_backup_stats *out,
                   struct cs_error *err)
{
    struct backup b = {.snap = snap, .dfd = -1, .ddfd = -1};
    int rc;
    if (snprintf(b.dest, sizeof(b.dest), "%s", dest) >= (int)sizeof(b.dest) - 80) {
        rc = cs_error_set(err, CS_EINVAL, "backup destination path too long");
        goto done;
    }
    (void)snprintf(b.data_dir, sizeof(b.data_dir), "%s/" CS_DATA_DIR, b.dest);
    rc = open_dest(&b, err);
    if (rc != CS_OK) goto done;
    if (snap->pin_fd < 0) { /* version 0 of a new store: an empty store */
        rc = cs_store_create_empty(b.dfd, b.dest, err);
        goto done;
    }
    rc = put_data(&b, copy_only, err);
    if (rc == CS_OK) rc = put_manifest(&b, err);
done:
    if (rc != CS_OK) undo(&b);
    if (b.ddfd >= 0) (void)close(b.ddfd);
    if (b.dfd >= 0) (void)close(b.dfd);
    free(b.made);
    if (out != NULL) *out = b.st;
    return rc;
}
