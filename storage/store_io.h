/*
 * The store's I/O layer, private to storage/: every open, read, write, fsync, rename, unlink,
 * mkdir and mmap of a store's files goes through these functions, so that
 *
 * - each failure becomes one message: CS_EIO `could not <verb> "<path>": <strerror>`;
 * - the symlink rules live in one place: a store's files are reached relative to the store
 *   directory's open descriptor (openat, never a path re-resolved later), a file is created
 *   with O_CREAT | O_EXCL | O_NOFOLLOW (an existing name, a planted symlink included, is an
 *   error, never a target written through), an existing file is opened with O_NOFOLLOW and
 *   must be a regular file (a symlink, a FIFO or a device in its place is CS_ECORRUPT: the
 *   open never blocks, nothing outside the store is read);
 * - faults can be injected for tests: the Nth operation of a kind fails with a chosen errno
 *   (cs_sio_fault_arm(), or the environment variable COLSTORE_FAULT read once; see
 *   docs/reliability.md). When nothing is armed the cost is one relaxed atomic increment
 *   per operation.
 *
 * Names passed as `name` are single path components (no '/') relative to the directory
 * descriptor `dfd`; `dir` is that directory's path, used in messages only.
 */
#ifndef CS_STORE_IO_H
#define CS_STORE_IO_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "storage/base/status.h"

/* Kinds of operations, for fault injection and counting. */
enum cs_sio_op {
    CS_SIO_OPEN = 0, /* open, openat, mkdirat, opendir */
    CS_SIO_READ,     /* pread */
    CS_SIO_WRITE,    /* write */
    CS_SIO_FSYNC,    /* fsync of a file or a directory */
    CS_SIO_RENAME,   /* renameat, linkat */
    CS_SIO_UNLINK,   /* unlinkat */
    CS_SIO_MMAP,     /* mmap */
    CS_SIO_NOPS,
    CS_SIO_ANY = CS_SIO_NOPS /* cs_sio_fault_arm(): count operations of every kind */
};

/* cs_sio_fault_arm()'s `error` that kills the process (SIGKILL) instead of failing. */
#define CS_SIO_KILL (-9)

/* How cs_sio_openat() opens. */
enum cs_sio_how {
    CS_SIO_READ_FILE,  /* an existing regular file, read-only */
    CS_SIO_RDWR_FILE,  /* an existing regular file, read-write (LOCK) */
    CS_SIO_CREATE_NEW, /* a new regular file, read-write: the name must not exist */
    CS_SIO_DIRECTORY,  /* an existing directory (not a symlink to one) */
};

/* --- fault injection (tests) --- */
/* cs_sio_fault_arm() - make operation number `nth` (1-based, counted from this call) of kind
 * `op` (CS_SIO_ANY: of any kind) fail with errno `error` (CS_SIO_KILL: raise SIGKILL there);
 * `sticky`: that one and every later one of the kind. nth == 0 disarms. Counters restart at
 * 0 for every kind. Not thread-safe against concurrent arming. */
void cs_sio_fault_arm(int op, uint64_t nth, int error, bool sticky);
/* cs_sio_fault_count() - operations of kind op (CS_SIO_ANY: all) since the last
 * cs_sio_fault_arm(). */
uint64_t cs_sio_fault_count(int op);
/* cs_sio_fault_fired() - how many operations the armed fault has failed. */
uint64_t cs_sio_fault_fired(void);
/* cs_sio_op_name() - "open", "read", ... (NULL when out of range). */
const char *cs_sio_op_name(int op);

/* --- paths --- */
/* cs_sio_path() - "<dir>/<fmt...>" into buf (CS_PATH_MAX); CS_EINVAL when too long. */
int cs_sio_path(char *buf, struct cs_error *err, const char *dir, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* --- directories --- */
/* cs_sio_open_root() - open the store directory `dir` (creating it, mode 0755, when create
 * and it is missing); *created tells whether this call made it. The directory itself may be
 * reached through a symlink the user made; everything below it is reached through *dfd. */
int cs_sio_open_root(const char *dir, bool create, int *dfd, bool *created, struct cs_error *err);
/* cs_sio_mkdirat() - create directory name under dfd; an existing name is CS_OK (the caller
 * opens it with CS_SIO_DIRECTORY, which refuses anything but a real directory). */
int cs_sio_mkdirat(int dfd, const char *dir, const char *name, struct cs_error *err);
/* cs_sio_opendir() - a directory stream over dfd's directory (its own descriptor). */
int cs_sio_opendir(int dfd, const char *dir, DIR **out, struct cs_error *err);

/* --- files --- */
/* cs_sio_openat() - open name under dfd as `how` says (see enum cs_sio_how). A missing file
 * is CS_EIO with errno ENOENT left in *missing (true) so that callers can tell; a symlink or
 * a file that is not regular in its place is CS_ECORRUPT. */
int cs_sio_openat(int dfd,
                  const char *dir,
                  const char *name,
                  int how,
                  int *fd,
                  bool *missing,
                  struct cs_error *err);
/* cs_sio_statat() - lstat-like: the entry name under dfd, without following a symlink.
 * Returns false (errno set) when it does not exist or cannot be read. */
bool cs_sio_statat(int dfd, const char *name, struct stat *sb);
int cs_sio_fstat(int fd, const char *path, struct stat *sb, struct cs_error *err);
/* cs_sio_pread_all() - exactly n bytes at off; a file that ends first is CS_ECORRUPT
 * "<path>: file ends early". */
int cs_sio_pread_all(
    int fd, void *buf, size_t n, uint64_t off, const char *path, struct cs_error *err);
/* cs_sio_pread_some() - up to n bytes at off (*got of them; fewer at end of file). */
int cs_sio_pread_some(
    int fd, void *buf, size_t n, uint64_t off, size_t *got, const char *path, struct cs_error *err);
/* cs_sio_read_all() - the whole of fd (size bytes) into a new malloc'd buffer. */
int cs_sio_read_all(int fd, size_t size, uint8_t **out, const char *path, struct cs_error *err);
int cs_sio_write_all(int fd, const void *buf, size_t len, const char *path, struct cs_error *err);
int cs_sio_fsync(int fd, const char *path, struct cs_error *err);
/* cs_sio_close() - close fd; an error (a delayed write failure) is CS_EIO. */
int cs_sio_close(int fd, const char *path, struct cs_error *err);
/* cs_sio_mmap() - map size bytes of fd read-only (MAP_SHARED). */
int cs_sio_mmap(int fd, size_t size, const void **base, const char *path, struct cs_error *err);
/* cs_sio_renameat() - rename from → to, both under dfd. */
int cs_sio_renameat(
    int dfd, const char *dir, const char *from, const char *to, struct cs_error *err);
/* cs_sio_unlinkat() - remove name under dfd (never what a symlink points at). A missing name
 * is CS_OK. */
int cs_sio_unlinkat(int dfd, const char *dir, const char *name, struct cs_error *err);
/* cs_sio_linkat() - hard-link name under from_dfd as the same name under to_dfd (never
 * following a symlink); *linked is false, with CS_OK, when the two are on different file
 * systems or the file system has no hard links (the caller copies instead). An existing name at
 * the destination is CS_EIO. */
int cs_sio_linkat(int from_dfd,
                  const char *from_dir,
                  const char *name,
                  int to_dfd,
                  const char *to_dir,
                  bool *linked,
                  struct cs_error *err);
/* cs_sio_write_new() - create name under dfd (CS_SIO_CREATE_NEW), write buf, fsync, close;
 * kill_point (or NULL) is passed to cs_store_kill_point() between the write and the fsync.
 * On failure the file is removed again. */
int cs_sio_write_new(int dfd,
                     const char *dir,
                     const char *name,
                     const void *buf,
                     size_t len,
                     const char *kill_point,
                     struct cs_error *err);

#endif
