/*
 * The store's I/O layer (store_io.h): every file operation of store.c, store_map.c,
 * store_pread.c, commit.c, manifest.c and verify.c goes through here. The symlink rules and
 * fault injection live in this one file; see store_io.h for the contract and
 * docs/reliability.md for how tests use the faults.
 */
#include "storage/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ------------------------------------------------------------------ little-endian fields */

void cs_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

uint16_t cs_get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

void cs_put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void cs_put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

uint32_t cs_get_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

uint64_t cs_get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* ------------------------------------------------------------------ fault injection */

static const char *const op_names[CS_SIO_NOPS] = {"open",   "read",   "write", "fsync",
                                                  "rename", "unlink", "mmap"};

/* Every operation bumps its kind's counter (relaxed: tests read them between operations);
 * the armed fault is read only when `armed` is set. */
static _Atomic uint64_t op_count[CS_SIO_NOPS + 1]; /* [CS_SIO_ANY]: all kinds */
static _Atomic uint64_t fault_fired;
static atomic_bool armed;
static struct {
    int op;
    uint64_t nth;
    int error;
    bool sticky;
} fault;
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

const char *cs_sio_op_name(int op)
{
    return op >= 0 && op < CS_SIO_NOPS ? op_names[op] : (op == CS_SIO_ANY ? "any" : NULL);
}

static void reset_counts(void)
{
    for (int i = 0; i <= CS_SIO_NOPS; i++)
        atomic_store(&op_count[i], 0);
    atomic_store(&fault_fired, 0);
}

void cs_sio_fault_arm(int op, uint64_t nth, int error, bool sticky)
{
    atomic_store(&armed, false);
    reset_counts();
    if (op < 0 || op > CS_SIO_ANY || nth == 0) return;
    fault.op = op;
    fault.nth = nth;
    fault.error = error;
    fault.sticky = sticky;
    atomic_store(&armed, true);
}

uint64_t cs_sio_fault_count(int op)
{
    return op >= 0 && op <= CS_SIO_ANY ? atomic_load(&op_count[op]) : 0;
}

uint64_t cs_sio_fault_fired(void)
{
    return atomic_load(&fault_fired);
}

/* env_arm() - COLSTORE_FAULT=<op>:<n>:<EIO|ENOSPC|number>[:sticky], read once per process,
 * so that a fault can be injected into colload or colquery from a shell. */
static void env_arm(void)
{
    const char *s = getenv("COLSTORE_FAULT");
    if (s == NULL || *s == '\0') return;
    char kind[16];
    unsigned long long n = 0;
    char errname[16] = "EIO", mode[16] = "";
    if (sscanf(s, "%15[a-z]:%llu:%15[A-Z0-9]:%15s", kind, &n, errname, mode) < 2) return;
    int error = strcmp(errname, "ENOSPC") == 0 ? ENOSPC : (strcmp(errname, "EIO") == 0 ? EIO : 0);
    if (strcmp(errname, "KILL") == 0) error = CS_SIO_KILL;
    if (error == 0) error = atoi(errname) > 0 ? atoi(errname) : EIO;
    for (int op = 0; op <= CS_SIO_ANY; op++) {
        if (strcmp(kind, op == CS_SIO_ANY ? "any" : op_names[op]) == 0)
            cs_sio_fault_arm(op, (uint64_t)n, error, strcmp(mode, "sticky") == 0);
    }
}

/* fault_hit() - count one operation of kind op; true (errno set) when it is to fail. */
static bool fault_hit(int op)
{
    (void)pthread_once(&env_once, env_arm);
    const uint64_t n = atomic_fetch_add_explicit(&op_count[op], 1, memory_order_relaxed) + 1;
    const uint64_t all =
        atomic_fetch_add_explicit(&op_count[CS_SIO_ANY], 1, memory_order_relaxed) + 1;
    if (!atomic_load_explicit(&armed, memory_order_relaxed)) return false;
    const uint64_t at = fault.op == CS_SIO_ANY ? all : (fault.op == op ? n : 0);
    if (at == 0 || (at != fault.nth && !(fault.sticky && at > fault.nth))) return false;
    atomic_fetch_add(&fault_fired, 1);
    if (fault.error == CS_SIO_KILL) (void)raise(SIGKILL);
    errno = fault.error;
    return true;
}

/* ------------------------------------------------------------------ paths */

int cs_sio_path(char *buf, struct cs_error *err, const char *dir, const char *fmt, ...)
{
    int n = snprintf(buf, CS_PATH_MAX, "%s/", dir);
    if (n < 0 || (size_t)n >= CS_PATH_MAX) goto too_long;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(buf + n, CS_PATH_MAX - (size_t)n, fmt, ap);
    va_end(ap);
    if (m < 0 || (size_t)m >= CS_PATH_MAX - (size_t)n) goto too_long;
    return CS_OK;
too_long:
    return cs_error_set(err, CS_EINVAL, "path under \"%s\" is too long", dir);
}

/* fail() - CS_EIO `could not <verb> "<dir>/<name>": <strerror(e)>`. */
static int fail(struct cs_error *err, int e, const char *verb, const char *dir, const char *name)
{
    if (name == NULL)
        return cs_error_set(err, CS_EIO, "could not %s \"%s\": %s", verb, dir, strerror(e));
    return cs_error_set(err, CS_EIO, "could not %s \"%s/%s\": %s", verb, dir, name, strerror(e));
}

/* ------------------------------------------------------------------ directories */

int cs_sio_open_root(const char *dir, bool create, int *dfd, bool *created, struct cs_error *err)
{
    *dfd = -1;
    *created = false;
    if (create) {
        if (fault_hit(CS_SIO_OPEN) || mkdir(dir, 0755) != 0) {
            if (errno != EEXIST) return fail(err, errno, "create", dir, NULL);
        } else {
            *created = true;
        }
    }
    int fd;
    if (fault_hit(CS_SIO_OPEN)) {
        fd = -1;
    } else {
        do {
            fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        } while (fd < 0 && errno == EINTR);
    }
    if (fd < 0) {
        return cs_error_set(err, CS_EIO, "could not open store \"%s\": %s", dir, strerror(errno));
    }
    *dfd = fd;
    return CS_OK;
}

int cs_sio_mkdirat(int dfd, const char *dir, const char *name, struct cs_error *err)
{
    if (fault_hit(CS_SIO_OPEN) || mkdirat(dfd, name, 0755) != 0) {
        if (errno != EEXIST) return fail(err, errno, "create", dir, name);
    }
    return CS_OK;
}

int cs_sio_opendir(int dfd, const char *dir, DIR **out, struct cs_error *err)
{
    *out = NULL;
    int fd = fault_hit(CS_SIO_OPEN) ? -1 : openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return fail(err, errno, "open", dir, NULL);
    *out = fdopendir(fd);
    if (*out == NULL) {
        const int e = errno;
        (void)close(fd);
        return fail(err, e, "open", dir, NULL);
    }
    return CS_OK;
}

/* ------------------------------------------------------------------ files */

bool cs_sio_statat(int dfd, const char *name, struct stat *sb)
{
    return fstatat(dfd, name, sb, AT_SYMLINK_NOFOLLOW) == 0;
}

int cs_sio_fstat(int fd, const char *path, struct stat *sb, struct cs_error *err)
{
    if (fstat(fd, sb) != 0) return fail(err, errno, "stat", path, NULL);
    return CS_OK;
}

/* not_regular() - CS_ECORRUPT for a store file that is a symlink, a FIFO, a device... */
static int not_regular(struct cs_error *err, const char *dir, const char *name, mode_t mode)
{
    const char *what = S_ISLNK(mode)    ? "a symbolic link"
                       : S_ISFIFO(mode) ? "a FIFO"
                       : S_ISDIR(mode)  ? "a directory"
                       : S_ISSOCK(mode) ? "a socket"
                                        : "a device";
    return cs_error_set(err, CS_ECORRUPT, "%s/%s: is %s, not a regular file of the store", dir,
                        name, what);
}

static int open_flags(int how)
{
    switch (how) {
    case CS_SIO_READ_FILE:
        return O_RDONLY | O_NOFOLLOW | O_NONBLOCK;
    case CS_SIO_RDWR_FILE:
        return O_RDWR | O_NOFOLLOW | O_NONBLOCK;
    case CS_SIO_CREATE_NEW:
        return O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW;
    default:
        return O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
    }
}

int cs_sio_openat(int dfd,
                  const char *dir,
                  const char *name,
                  int how,
                  int *fd,
                  bool *missing,
                  struct cs_error *err)
{
    *fd = -1;
    if (missing != NULL) *missing = false;
    struct stat sb;
    const bool existing = how == CS_SIO_READ_FILE || how == CS_SIO_RDWR_FILE;
    /* Look before opening: opening a FIFO would block, a device could act. */
    if (existing && cs_sio_statat(dfd, name, &sb) && !S_ISREG(sb.st_mode))
        return not_regular(err, dir, name, sb.st_mode);
    int r;
    if (fault_hit(CS_SIO_OPEN)) {
        r = -1;
    } else {
        do {
            r = openat(dfd, name, open_flags(how) | O_CLOEXEC, 0644);
        } while (r < 0 && errno == EINTR);
    }
    if (r < 0) {
        const int e = errno;
        if (e == ENOENT && missing != NULL) *missing = true;
        if (how != CS_SIO_CREATE_NEW && (e == ELOOP || e == ENOTDIR) &&
            cs_sio_statat(dfd, name, &sb))
            return not_regular(err, dir, name, sb.st_mode);
        return fail(err, e, how == CS_SIO_CREATE_NEW ? "create" : "open", dir, name);
    }
    /* ...and after: the name may have been replaced in between. */
    if (existing && (fstat(r, &sb) != 0 || !S_ISREG(sb.st_mode))) {
        (void)close(r);
        return not_regular(err, dir, name, sb.st_mode);
    }
    if (existing) (void)fcntl(r, F_SETFL, fcntl(r, F_GETFL) & ~O_NONBLOCK);
    *fd = r;
    return CS_OK;
}

int cs_sio_pread_some(
    int fd, void *buf, size_t n, uint64_t off, size_t *got, const char *path, struct cs_error *err)
{
    *got = 0;
    while (*got < n) {
        ssize_t k;
        if (fault_hit(CS_SIO_READ)) {
            k = -1;
        } else {
            k = pread(fd, (uint8_t *)buf + *got, n - *got, (off_t)(off + *got));
        }
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return fail(err, errno, "read", path, NULL);
        if (k == 0) break;
        *got += (size_t)k;
    }
    return CS_OK;
}

int cs_sio_pread_all(
    int fd, void *buf, size_t n, uint64_t off, const char *path, struct cs_error *err)
{
    size_t got;
    int rc = cs_sio_pread_some(fd, buf, n, off, &got, path, err);
    if (rc == CS_OK && got < n) return cs_error_set(err, CS_ECORRUPT, "%s: file ends early", path);
    return rc;
}

int cs_sio_read_all(int fd, size_t size, uint8_t **out, const char *path, struct cs_error *err)
{
    uint8_t *buf = malloc(size > 0 ? size : 1);
    if (buf == NULL) return cs_error_set(err, CS_ENOMEM, "%s: out of memory", path);
    int rc = cs_sio_pread_all(fd, buf, size, 0, path, err);
    if (rc != CS_OK) {
        free(buf);
        return rc;
    }
    *out = buf;
    return CS_OK;
}

int cs_sio_write_all(int fd, const void *buf, size_t len, const char *path, struct cs_error *err)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = fault_hit(CS_SIO_WRITE) ? -1 : write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const char *why = n < 0 ? strerror(errno) : "wrote nothing";
            return cs_error_set(err, CS_EIO, "could not write \"%s\": %s", path, why);
        }
        p += n;
        len -= (size_t)n;
    }
    return CS_OK;
}

int cs_sio_fsync(int fd, const char *path, struct cs_error *err)
{
    if (fault_hit(CS_SIO_FSYNC) || fsync(fd) != 0) return fail(err, errno, "fsync", path, NULL);
    return CS_OK;
}

int cs_sio_close(int fd, const char *path, struct cs_error *err)
{
    if (close(fd) != 0 && errno != EINTR) return fail(err, errno, "close", path, NULL);
    return CS_OK;
}

int cs_sio_mmap(int fd, size_t size, const void **base, const char *path, struct cs_error *err)
{
    void *p = fault_hit(CS_SIO_MMAP) ? MAP_FAILED : mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return fail(err, errno, "map", path, NULL);
    *base = p;
    return CS_OK;
}

int cs_sio_renameat(
    int dfd, const char *dir, const char *from, const char *to, struct cs_error *err)
{
    if (fault_hit(CS_SIO_RENAME) || renameat(dfd, from, dfd, to) != 0) {
        return cs_error_set(err, CS_EIO, "could not rename \"%s/%s\" to \"%s/%s\": %s", dir, from,
                            dir, to, strerror(errno));
    }
    return CS_OK;
}

int cs_sio_unlinkat(int dfd, const char *dir, const char *name, struct cs_error *err)
{
    if (fault_hit(CS_SIO_UNLINK) || unlinkat(dfd, name, 0) != 0) {
        if (errno != ENOENT) return fail(err, errno, "remove", dir, name);
    }
    return CS_OK;
}

int cs_sio_linkat(int from_dfd,
                  const char *from_dir,
                  const char *name,
                  int to_dfd,
                  const char *to_dir,
                  bool *linked,
                  struct cs_error *err)
{
    *linked = false;
    if (fault_hit(CS_SIO_RENAME) || linkat(from_dfd, name, to_dfd, name, 0) != 0) {
        /* another file system, or one without hard links: the caller copies */
        if (errno == EXDEV || errno == EPERM || errno == EMLINK || errno == ENOTSUP ||
            errno == EOPNOTSUPP)
            return CS_OK;
        (void)from_dir;
        return fail(err, errno, "link", to_dir, name);
    }
    *linked = true;
    return CS_OK;
}

int cs_sio_write_new(int dfd,
                     const char *dir,
                     const char *name,
                     const void *buf,
                     size_t len,
                     const char *kill_point,
                     struct cs_error *err)
{
    char path[CS_PATH_MAX];
    int rc = cs_sio_path(path, err, dir, "%s", name);
    int fd = -1;
    if (rc == CS_OK) rc = cs_sio_openat(dfd, dir, name, CS_SIO_CREATE_NEW, &fd, NULL, err);
    if (rc != CS_OK) return rc;
    rc = cs_sio_write_all(fd, buf, len, path, err);
    if (kill_point != NULL) cs_store_kill_point(kill_point);
    if (rc == CS_OK) rc = cs_sio_fsync(fd, path, err);
    const int crc = cs_sio_close(fd, path, rc == CS_OK ? err : NULL);
    if (rc == CS_OK) rc = crc;
    if (rc != CS_OK) (void)cs_sio_unlinkat(dfd, dir, name, NULL); /* ours: made just now */
    return rc;
}

void cs_sio_data_name(char buf[64], uint64_t id)
{
    (void)snprintf(buf, 64, CS_DATA_DIR "/%012llu.cseg", (unsigned long long)id);
}

void cs_sio_data_file(char buf[64], uint64_t id)
{
    (void)snprintf(buf, 64, "%012llu.cseg", (unsigned long long)id);
}
