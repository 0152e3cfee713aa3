/*
 * Internal declarations shared by the engine's files: the store handle behind colstore.h and
 * the mapping of internal errors (struct cs_error) onto colstore_error.
 */
#ifndef CS_ENGINE_H
#define CS_ENGINE_H

#include <pthread.h>

#include "engine/colstore.h"
#include "storage/base/status.h"
#include "storage/store.h"

struct colstore_store {
    struct cs_store *st;
    unsigned flags;
    pthread_mutex_t write_mu; /* serializes loads from threads of this process */
};

/* cs_engine_error() - copy an internal error into the public one (err may be NULL); returns
 * the code. */
int cs_engine_error(colstore_error *err, const struct cs_error *e);

/* cs_engine_fail() - record a code and a printf-style message in the public error. */
int cs_engine_fail(colstore_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* cs_engine_parse_date() - "YYYY-MM-DD" → day number; false when it is not a date. */
bool cs_engine_parse_date(const char *s, int64_t *days);

/* cs_engine_today_days() - the current UTC day number. */
int64_t cs_engine_today_days(void);

#endif
