/*
 * The rejects file of a load: opened only once the writer lock is held and every check passed,
 * synced before the commit (see load_rejects.c).
 */
#ifndef CS_ENGINE_LOAD_REJECTS_H
#define CS_ENGINE_LOAD_REJECTS_H

#include <stdio.h>

#include "storage/base/status.h"
#include "storage/store.h"

/* cs_rejects_open() - open `path` for the rejected lines of a load reading input_fd (-1: none)
 * and the files inputs[0..ninputs) (NULL entries skipped, "-" is standard input). CS_EINVAL
 * when it is one of the inputs or lies in the store st; CS_EIO when it cannot be opened. An
 * existing regular file is truncated only after those checks. */
int cs_rejects_open(struct cs_store *st,
                    const char *path,
                    int input_fd,
                    const char *const *inputs,
                    size_t ninputs,
                    FILE **out,
                    struct cs_error *e);
/* cs_rejects_sync() - flush and fsync f (NULL: nothing); CS_EIO when any line was lost. */
int cs_rejects_sync(FILE *f, const char *path, struct cs_error *e);
/* cs_rejects_close() - close f (NULL: nothing); returns rc, or CS_EIO when rc was CS_OK and
 * the close failed. */
int cs_rejects_close(FILE *f, const char *path, int rc, struct cs_error *e);

#endif
