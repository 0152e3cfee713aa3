/*
 * The store's file operations: every open, write, read, fsync and rename of store.c,
 * commit.c and verify.c goes through here, so that each failure becomes one CS_EIO message
 * of the form `could not <verb> "<path>": <strerror>`, and little-endian field access for the
 * layouts of docs/storage-format.md.
 */
#include "storage/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int cs_sio_open(const char *path, int flags, int *fd, struct cs_error *err)
{
    do {
        *fd = open(path, flags | O_CLOEXEC, 0644);
    } while (*fd < 0 && errno == EINTR);
    if (*fd < 0)
        return cs_error_set(err, CS_EIO, "could not open \"%s\": %s", path, strerror(errno));
    return CS_OK;
}

int cs_sio_write_all(int fd, const void *buf, size_t len, const char *path, struct cs_error *err)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
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
    if (fsync(fd) != 0) {
        return cs_error_set(err, CS_EIO, "could not fsync \"%s\": %s", path, strerror(errno));
    }
    return CS_OK;
}

int cs_sio_fsync_dir(const char *dir, struct cs_error *err)
{
    int fd;
    int rc = cs_sio_open(dir, O_RDONLY | O_DIRECTORY, &fd, err);
    if (rc != CS_OK) return rc;
    rc = cs_sio_fsync(fd, dir, err);
    (void)close(fd);
    return rc;
}

int cs_sio_rename(const char *from, const char *to, struct cs_error *err)
{
    if (rename(from, to) != 0) {
        return cs_error_set(err, CS_EIO, "could not rename \"%s\" to \"%s\": %s", from, to,
                            strerror(errno));
    }
    return CS_OK;
}

int cs_sio_read_all(int fd, size_t size, uint8_t **out, const char *path, struct cs_error *err)
{
    uint8_t *buf = malloc(size > 0 ? size : 1);
    if (buf == NULL) return cs_error_set(err, CS_ENOMEM, "%s: out of memory", path);
    size_t got = 0;
    while (got < size) {
        ssize_t n = pread(fd, buf + got, size - got, (off_t)got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            free(buf);
            if (n == 0) return cs_error_set(err, CS_ECORRUPT, "%s: file is truncated", path);
            return cs_error_set(err, CS_EIO, "could not read \"%s\": %s", path, strerror(errno));
        }
        got += (size_t)n;
    }
    *out = buf;
    return CS_OK;
}

int cs_sio_write_file(
    const char *path, const void *buf, size_t len, const char *kill_point, struct cs_error *err)
{
    int fd;
    int rc = cs_sio_open(path, O_WRONLY | O_CREAT | O_TRUNC, &fd, err);
    if (rc != CS_OK) return rc;
    rc = cs_sio_write_all(fd, buf, len, path, err);
    if (kill_point != NULL) cs_store_kill_point(kill_point);
    if (rc == CS_OK) rc = cs_sio_fsync(fd, path, err);
    if (close(fd) != 0 && rc == CS_OK) {
        rc = cs_error_set(err, CS_EIO, "could not close \"%s\": %s", path, strerror(errno));
    }
    return rc;
}

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

void cs_sio_data_name(char buf[64], uint64_t id)
{
    (void)snprintf(buf, 64, CS_DATA_DIR "/%012llu.cseg", (unsigned long long)id);
}
