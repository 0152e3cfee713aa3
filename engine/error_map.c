/* Internal status → public colstore_error; the codes are the same numbers by construction. */
#include "engine/engine.h"
#include "storage/base/pgtext.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

_Static_assert((int)CS_OK == (int)COLSTORE_OK, "status codes mirror colstore.h");
_Static_assert((int)CS_EINPUT == (int)COLSTORE_EINPUT, "status codes mirror colstore.h");
_Static_assert((int)CS_EINVAL == (int)COLSTORE_EINVAL, "status codes mirror colstore.h");
_Static_assert((int)CS_EIO == (int)COLSTORE_EIO, "status codes mirror colstore.h");
_Static_assert((int)CS_ECORRUPT == (int)COLSTORE_ECORRUPT, "status codes mirror colstore.h");
_Static_assert((int)CS_ENOMEM == (int)COLSTORE_ENOMEM, "status codes mirror colstore.h");
_Static_assert((int)CS_EBUSY == (int)COLSTORE_EBUSY, "status codes mirror colstore.h");
_Static_assert((int)CS_ECANCELED == (int)COLSTORE_ECANCELED, "status codes mirror colstore.h");
_Static_assert((int)CS_ELIMIT == (int)COLSTORE_ELIMIT, "status codes mirror colstore.h");
_Static_assert(sizeof(((colstore_error *)0)->message) == CS_ERROR_MESSAGE_SIZE,
               "message sizes agree");

int cs_engine_return(colstore_error *err, int rc, const struct cs_error *e)
{
    if (err == NULL) return rc;
    err->code = rc;
    if (rc == CS_OK) {
        err->message[0] = '\0';
    } else if (e == NULL || e->code == CS_OK || e->message[0] == '\0') {
        /* a path that failed without a message still says something */
        (void)snprintf(err->message, sizeof(err->message), "%s", cs_status_name(rc));
    } else {
        memcpy(err->message, e->message, sizeof(err->message));
        err->message[sizeof(err->message) - 1] = '\0';
    }
    return rc;
}

int cs_engine_read_options(void *dst,
                           size_t dst_size,
                           const void *src,
                           size_t min_size,
                           const char *what,
                           struct cs_error *e)
{
    size_t size;
    memcpy(&size, src, sizeof(size));
    if (size < min_size)
        return cs_error_set(e, CS_EINVAL,
                            "%s: size %zu is smaller than the first version's %zu (initialize it "
                            "with its _INIT macro)",
                            what, size, min_size);
    for (size_t i = dst_size; i < size; i++) {
        if (((const unsigned char *)src)[i] != 0)
            return cs_error_set(e, CS_EINVAL,
                                "%s: sets options this library (colstore %s) does not have", what,
                                COLSTORE_VERSION_STRING);
    }
    memcpy(dst, src, size < dst_size ? size : dst_size);
    memcpy(dst, &dst_size, sizeof(dst_size));
    return CS_OK;
}

const char *colstore_strerror(int code)
{
    return cs_status_name(code);
}

bool cs_engine_parse_date(const char *s, int64_t *days)
{
    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return false;
    int32_t key = 0;
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7) continue;
        if (s[i] < '0' || s[i] > '9') return false;
        key = key * 10 + (s[i] - '0');
    }
    return cs_days_from_time_key(key, days);
}

int64_t cs_engine_today_days(void)
{
    return (int64_t)time(NULL) / 86400;
}
