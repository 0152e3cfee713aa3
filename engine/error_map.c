/* Internal status → public colstore_error; the codes are the same numbers by construction. */
#include "engine/engine.h"
#include "storage/base/pgtext.h"

#include <stdarg.h>
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
_Static_assert(sizeof(((colstore_error *)0)->message) == CS_ERROR_MESSAGE_SIZE,
               "message sizes agree");

int cs_engine_error(colstore_error *err, const struct cs_error *e)
{
    if (err != NULL) {
        err->code = e->code;
        memcpy(err->message, e->message, sizeof(err->message));
        err->message[sizeof(err->message) - 1] = '\0';
    }
    return e->code;
}

int cs_engine_fail(colstore_error *err, int code, const char *fmt, ...)
{
    if (err == NULL) return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return code;
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
