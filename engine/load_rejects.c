/*
 * The rejects file of a load (colstore_load_options.rejects_path). It is the user's file, so
 * the load touches it only when everything else is settled:
 *
 *   writer lock held (cs_txn_begin) → path not inside the store → open: a new file is created
 *   with O_EXCL (never through a symlink); an existing one is opened as it is (a FIFO without
 *   a reader is an error, not a wait) → the open file is not the input and not a store file
 *   → only then an existing regular file is truncated.
 *
 * Before the commit every rejected line must be on disk: cs_rejects_sync() flushes and fsyncs
 * the file, and the load commits nothing when that fails (a full disk, /dev/full), so that no
 * row is dropped silently.
 */
#include "engine/load_rejects.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* open_file() - *created tells whether this call made the file. */
static int open_file(const char *path, int *fd, bool *created, struct cs_error *e)
{
    *created = false;
    do {
        *fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY | O_CLOEXEC, 0644);
    } while (*fd < 0 && errno == EINTR);
    if (*fd >= 0) {
        *created = true;
        return CS_OK;
    }
    if (errno == EEXIST) {
        do {
            *fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        } while (*fd < 0 && errno == EINTR);
        if (*fd >= 0) {
            (void)fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) & ~O_NONBLOCK);
            return CS_OK;
        }
    }
    return cs_error_set(e, CS_EIO, "could not open rejects file \"%s\": %s", path, strerror(errno));
}

static bool same_file(int fd, const struct stat *b)
{
    struct stat a;
    return fstat(fd, &a) == 0 && a.st_dev == b->st_dev && a.st_ino == b->st_ino;
}

/* same_as_input() - whether fd is the file of input_fd or of one of the input paths ("-" is
 * standard input). */
static bool same_as_input(int fd, int input_fd, const char *const *inputs, size_t ninputs)
{
    struct stat b;
    if (input_fd >= 0 && fstat(input_fd, &b) == 0 && same_file(fd, &b)) return true;
    for (size_t i = 0; i < ninputs; i++) {
        if (inputs[i] == NULL) continue;
        const bool ok =
            strcmp(inputs[i], "-") == 0 ? fstat(STDIN_FILENO, &b) == 0 : stat(inputs[i], &b) == 0;
        if (ok && same_file(fd, &b)) return true;
    }
    return false;
}

int cs_rejects_open(struct cs_store *st,
                    const char *path,
                    int input_fd,
                    const char *const *inputs,
                    size_t ninputs,
                    FILE **out,
                    struct cs_error *e)
{
    *out = NULL;
    int rc = cs_store_check_foreign(st, path, -1, "rejects file", e);
    if (rc != CS_OK) return rc;
    int fd;
    bool created;
    rc = open_file(path, &fd, &created, e);
    if (rc != CS_OK) return rc;
    if (same_as_input(fd, input_fd, inputs, ninputs)) {
        rc = cs_error_set(e, CS_EINVAL,
                          "rejects file \"%s\" is the input: refusing to overwrite it", path);
    }
    if (rc == CS_OK) rc = cs_store_check_foreign(st, path, fd, "rejects file", e);
    struct stat sb;
    if (rc == CS_OK && !created && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
        ftruncate(fd, 0) != 0) {
        rc = cs_error_set(e, CS_EIO, "could not truncate rejects file \"%s\": %s", path,
                          strerror(errno));
    }
    if (rc == CS_OK && (*out = fdopen(fd, "w")) == NULL)
        rc = cs_error_set(e, CS_ENOMEM, "rejects file \"%s\": out of memory", path);
    if (rc != CS_OK) {
        (void)close(fd);
        if (created) (void)unlink(path); /* made empty by this call: nothing of the user's */
    }
    return rc;
}

int cs_rejects_sync(FILE *f, const char *path, struct cs_error *e)
{
    if (f == NULL) return CS_OK;
    if (fflush(f) != 0 || ferror(f)) {
        return cs_error_set(e, CS_EIO,
                            "could not write rejects file \"%s\": %s (nothing was committed)", path,
                            strerror(errno));
    }
    /* A pipe or a terminal cannot be synced; a file must be. */
    if (fsync(fileno(f)) != 0 && errno != EINVAL && errno != EROFS && errno != ENOTSUP) {
        return cs_error_set(e, CS_EIO,
                            "could not fsync rejects file \"%s\": %s (nothing was committed)", path,
                            strerror(errno));
    }
    return CS_OK;
}

int cs_rejects_close(FILE *f, const char *path, int rc, struct cs_error *e)
{
    if (f == NULL) return rc;
    const int saved = errno;
    if (fclose(f) != 0 && rc == CS_OK) {
        return cs_error_set(e, CS_EIO, "could not write rejects file \"%s\": %s", path,
                            strerror(errno));
    }
    errno = saved;
    return rc;
}
