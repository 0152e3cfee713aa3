/*
 * cs_store_check_foreign(): whether a file the user names for output (a rejects file, a
 * backup's destination) would land in the store. A store is the user's data: the engine
 * never writes a file of its own into the store directory or over one of its files. The
 * directory test walks up from the file's directory by "..", comparing (device, inode) with
 * the store directory, so symlinks and relative paths cannot hide the store; the file test
 * compares the open file with every entry of the store and its data/ directory, so a hard
 * link or a symlink to a store file is caught too.
 */
#include "storage/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* within() - whether the directory open as fd (closed here) is dir or lies below it. */
static bool within(int fd, const struct stat *dir)
{
    bool found = false;
    for (int depth = 0; fd >= 0 && depth < 4096 && !found; depth++) {
        struct stat sb, up_sb;
        if (fstat(fd, &sb) != 0) break;
        found = same_file(&sb, dir);
        const int up = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        (void)close(fd);
        fd = up;
        if (fd >= 0 && (fstat(fd, &up_sb) != 0 || same_file(&up_sb, &sb))) break; /* the root */
    }
    if (fd >= 0) (void)close(fd);
    return found;
}

/* parent_within() - whether the directory that holds `path` is the store or below it. */
static bool parent_within(const char *path, const struct stat *dir)
{
    char parent[CS_PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        (void)strcpy(parent, ".");
    } else if (slash == path) {
        (void)strcpy(parent, "/");
    } else {
        const size_t n = (size_t)(slash - path);
        if (n >= sizeof(parent)) return false;
        memcpy(parent, path, n);
        parent[n] = '\0';
    }
    const int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return fd >= 0 && within(fd, dir);
}

/* is_entry() - whether the file sb is one of the entries of the directory open as dfd. */
static bool is_entry(int dfd, const struct stat *sb)
{
    DIR *d;
    if (cs_sio_opendir(dfd, "", &d, NULL) != CS_OK) return false;
    bool found = false;
    const struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        struct stat esb;
        found = cs_sio_statat(dfd, e->d_name, &esb) && same_file(&esb, sb);
    }
    (void)closedir(d);
    return found;
}

int cs_store_check_foreign(
    struct cs_store *st, const char *path, int fd, const char *what, struct cs_error *err)
{
    struct stat dir;
    if (fstat(st->dfd, &dir) != 0) {
        return cs_error_set(err, CS_EIO, "could not stat \"%s\": %s", st->dir, strerror(errno));
    }
    bool inside = path != NULL && parent_within(path, &dir);
    struct stat sb;
    if (!inside && fd >= 0 && fstat(fd, &sb) == 0) {
        inside = same_file(&sb, &dir) || is_entry(st->dfd, &sb) || is_entry(st->ddfd, &sb);
    }
    if (inside) {
        return cs_error_set(err, CS_EINVAL,
                            "%s \"%s\" is inside the store \"%s\": refusing to write it", what,
                            path != NULL ? path : "", st->dir);
    }
    return CS_OK;
}
