/*
 * colstore_backup: a consistent copy of one snapshot as a store of its own, taken while loads
 * go on (storage/backup.c does the work; this is the public entry point and its options).
 */
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"

#define BACKUP_OPTIONS_V1_SIZE (offsetof(colstore_backup_options, copy) + sizeof(bool))

int colstore_backup(colstore_snapshot *snap,
                    const char *dest,
                    const colstore_backup_options *opts,
                    colstore_backup_stats *stats,
                    colstore_error *err)
{
    struct cs_error e = {0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    colstore_backup_options o = COLSTORE_BACKUP_OPTIONS_INIT;
    struct cs_backup_stats bs = {0};
    int rc = CS_OK;
    if (snap == NULL || dest == NULL || dest[0] == '\0') {
        rc = cs_error_set(&e, CS_EINVAL, "backup: snapshot and destination are required");
        goto done;
    }
    if (stats != NULL && stats->size < sizeof(size_t)) {
        rc = cs_error_set(&e, CS_EINVAL, "backup: stats->size is %zu", stats->size);
        goto done;
    }
    if (opts != NULL)
        rc = cs_engine_read_options(&o, sizeof(o), opts, BACKUP_OPTIONS_V1_SIZE,
                                    "colstore_backup_options", &e);
    if (rc != CS_OK) goto done;
    rc = cs_snap_backup(snap->snap, dest, o.copy, &bs, &e);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc == CS_OK && stats != NULL) {
        const colstore_backup_stats full = {sizeof(full),
                                            cs_snap_version(snap->snap),
                                            bs.files,
                                            bs.linked,
                                            bs.copied,
                                            bs.bytes,
                                            (double)(t1.tv_sec - t0.tv_sec) +
                                                (double)(t1.tv_nsec - t0.tv_nsec) / 1e9};
        const size_t n = stats->size < sizeof(full) ? stats->size : sizeof(full);
        memcpy((char *)stats + sizeof(size_t), (const char *)&full + sizeof(size_t),
               n - sizeof(size_t));
    }
done:
    return cs_engine_return(err, rc, &e);
}
