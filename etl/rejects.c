/*
 * The rejects file: each bad record verbatim (all its physical lines, a newline added if the
 * file's last line had none), followed by one line "-- file:line: column: reason". When the
 * export has a header line, the rejects file starts with it, so that the file (without its
 * "-- " lines) loads like the export once fixed. Every warehouse table starts with an integer
 * key, so a "-- " line never looks like the first line of a record.
 */
#include <errno.h>
#include <string.h>

#include "etl/parse_internal.h"

static int write_all(FILE *f, const char *p, size_t n, struct cs_error *err)
{
    if (n > 0 && fwrite(p, 1, n, f) != n) {
        return cs_error_set(err, CS_EIO, "could not write the rejects file: %s", strerror(errno));
    }
    return CS_OK;
}

int cs_rejects_spill(FILE *f, const char *raw, size_t len, struct cs_error *err)
{
    return write_all(f, raw, len, err);
}

int cs_rejects_write(
    FILE *f, const char *raw, size_t len, const char *message, struct cs_error *err)
{
    int rc = write_all(f, raw, len, err);
    if (rc == CS_OK && len > 0 && raw[len - 1] != '\n') rc = write_all(f, "\n", 1, err);
    if (rc == CS_OK) rc = write_all(f, "-- ", 3, err);
    if (rc == CS_OK) rc = write_all(f, message, strlen(message), err);
    if (rc == CS_OK) rc = write_all(f, "\n", 1, err);
    return rc;
}
