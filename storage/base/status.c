/* Error values: formatting of messages, shared by every layer. */
#include "storage/base/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#undef cs_error_set /* the analyzer's model of it (status.h) */

int cs_error_set(struct cs_error *err, int code, const char *fmt, ...)
{
    if (err == NULL) return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return code;
}

void cs_error_prefix(struct cs_error *err, const char *fmt, ...)
{
    if (err == NULL) return;
    char prefix[512];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    char old[CS_ERROR_MESSAGE_SIZE];
    memcpy(old, err->message, sizeof(old));
    (void)snprintf(err->message, sizeof(err->message), "%s: %s", prefix, old);
}

void cs_error_clear(struct cs_error *err)
{
    if (err == NULL) return;
    err->code = CS_OK;
    err->message[0] = '\0';
}

const char *cs_status_name(int code)
{
    switch (code) {
    case CS_OK:
        return "ok";
    case CS_EINPUT:
        return "bad input";
    case CS_EINVAL:
        return "invalid argument";
    case CS_EIO:
        return "i/o error";
    case CS_ECORRUPT:
        return "damaged store";
    case CS_ENOMEM:
        return "out of memory";
    case CS_EBUSY:
        return "store is locked by another writer";
    case CS_ECANCELED:
        return "canceled";
    case CS_ELIMIT:
        return "value out of the engine's range";
    default:
        return "unknown error";
    }
}
