/*
 * Internal status codes and the error value every layer fills in.
 *
 * The numbers mirror COLSTORE_* in engine/colstore.h (engine/error_map.c asserts it); 0-4 are
 * also the CLI exit codes (docs/cli.md): 0 success, 1 bad input, 2 usage, 3 I/O, 4 damaged store.
 */
#ifndef CS_STATUS_H
#define CS_STATUS_H

#include <stddef.h>

enum cs_status {
    CS_OK = 0,
    CS_EINPUT = 1,    /* bad input: an export line, a parameter value from a user */
    CS_EINVAL = 2,    /* caller mistake: bad argument, wrong table, closed handle */
    CS_EIO = 3,       /* the operating system refused: open, write, fsync, mmap, ENOSPC */
    CS_ECORRUPT = 4,  /* a store file failed a checksum, a size or an offset check */
    CS_ENOMEM = 5,    /* allocation failed */
    CS_EBUSY = 6,     /* another writer holds the store's lock */
    CS_ECANCELED = 7, /* the caller asked to stop (a load's progress callback) */
    CS_ELIMIT = 8,    /* a value beyond what the engine computes (a sum over int64) */
};

#define CS_ERROR_MESSAGE_SIZE 1024

struct cs_error {
    int code;                            /* CS_OK or a CS_E* value */
    char message[CS_ERROR_MESSAGE_SIZE]; /* NUL-terminated; "" when code is CS_OK */
};

/* cs_error_set() - record code and a printf-style message in err (err may be NULL).
 * Returns code, so that callers can write `return cs_error_set(err, CS_EIO, ...)`. */
int cs_error_set(struct cs_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#ifdef __clang_analyzer__
/* The static analyzer sees one file at a time: tell it that the value is code (never CS_OK),
 * or it follows `rc = cs_error_set(...); ... if (rc == CS_OK) use(p)` with p NULL. */
#    define cs_error_set(err, code, ...) (cs_error_set((err), (code), __VA_ARGS__), (code))
#endif

/* cs_error_prefix() - prepend "prefix: " to err's message, keeping its code. */
void cs_error_prefix(struct cs_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* cs_error_clear() - reset err to CS_OK and an empty message (err may be NULL). */
void cs_error_clear(struct cs_error *err);

/* cs_status_name() - "ok", "bad input", ... for a code. */
const char *cs_status_name(int code);

#endif
