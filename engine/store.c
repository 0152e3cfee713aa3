/* colstore_open / colstore_close: the public store handle over storage/store.h. */
#include "engine/engine.h"

#include <stdlib.h>

int colstore_open(const char *path, unsigned flags, colstore_store **out_store, colstore_error *err)
{
    if (out_store != NULL) *out_store = NULL;
    if (path == NULL || out_store == NULL)
        return cs_engine_fail(err, COLSTORE_EINVAL, "colstore_open: path and out_store are required");
    if ((flags & ~(COLSTORE_WRITABLE | COLSTORE_CREATE | COLSTORE_READ_ONCE)) != 0 ||
        ((flags & COLSTORE_CREATE) && !(flags & COLSTORE_WRITABLE)))
        return cs_engine_fail(err, COLSTORE_EINVAL, "colstore_open: invalid flags 0x%x", flags);
    colstore_store *s = calloc(1, sizeof(*s));
    if (s == NULL) return cs_engine_fail(err, COLSTORE_ENOMEM, "out of memory");
    unsigned sf = CS_OPEN_READ;
    if (flags & COLSTORE_WRITABLE) sf |= CS_OPEN_WRITE;
    if (flags & COLSTORE_CREATE) sf |= CS_OPEN_CREATE;
    if (flags & COLSTORE_READ_ONCE) sf |= CS_OPEN_PREAD;
    struct cs_error e = {0};
    int rc = cs_store_open(path, sf, &s->st, &e);
    if (rc != CS_OK) {
        free(s);
        return cs_engine_error(err, &e);
    }
    s->flags = flags;
    pthread_mutex_init(&s->write_mu, NULL);
    atomic_init(&s->refs, 1);
    *out_store = s;
    if (err != NULL) {
        err->code = COLSTORE_OK;
        err->message[0] = '\0';
    }
    return COLSTORE_OK;
}

void cs_engine_store_ref(colstore_store *s)
{
    atomic_fetch_add(&s->refs, 1);
}

void cs_engine_store_unref(colstore_store *s)
{
    if (atomic_fetch_sub(&s->refs, 1) != 1) return;
    cs_store_close(s->st);
    pthread_mutex_destroy(&s->write_mu);
    free(s);
}

void colstore_close(colstore_store *store)
{
    if (store == NULL) return;
    cs_engine_store_unref(store); /* open snapshots keep it until they are closed */
}
