/*
 * Engine errors as PostgreSQL errors. The engine reports a code and a message (colstore.h);
 * the backend gets an ERROR with that message and a SQLSTATE that tells a client what kind of
 * failure it is, so a damaged store is "data corrupted" (XX001), a missing one an I/O error
 * (58030), never a crash. The message is copied into the error before anything is released.
 */
#include "fdw/fdw.h"

#include "utils/elog.h"

int cs_fdw_sqlstate(int code)
{
    switch (code) {
    case COLSTORE_EINPUT:
        return ERRCODE_INVALID_PARAMETER_VALUE;
    case COLSTORE_EINVAL:
        return ERRCODE_FDW_ERROR;
    case COLSTORE_EIO:
        return ERRCODE_IO_ERROR;
    case COLSTORE_ECORRUPT:
        return ERRCODE_DATA_CORRUPTED;
    case COLSTORE_ENOMEM:
        return ERRCODE_OUT_OF_MEMORY;
    case COLSTORE_EBUSY:
        return ERRCODE_LOCK_NOT_AVAILABLE;
    default:
        return ERRCODE_INTERNAL_ERROR;
    }
}

void cs_fdw_raise(const colstore_error *err, const char *what)
{
    int code = err != NULL ? err->code : COLSTORE_EINVAL;
    const char *msg =
        err != NULL && err->message[0] != '\0' ? err->message : colstore_strerror(code);
    ereport(ERROR,
            (errcode(cs_fdw_sqlstate(code)), errmsg("colstore: %s", msg), errcontext("%s", what)));
}
