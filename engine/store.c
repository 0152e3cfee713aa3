/* colstore_open / colstore_close: the public store handle over storage/store.h. */
#include "engine/engine.h"

#include <stdlib.h>

int colstore_open(const char *path, unsigned flags, colstore_store **out_store, colstore_error *err)
{
    struct cs_error e = {0};
    colstore_store *s = NULL;
    int rc = CS_OK;
    if (out_store != NULL) *out_store = NULL;
    if (path == NULL || out_store == NULL) {
        rc = cs_error_set(&e, CS_EINVAL, "colstore_open: path and out_store are required");
        goto done;
    }
    if ((flags & ~(COLSTORE_WRITABLE | COLSTORE_CREATE | COLSTORE_READ_ONCE |
                   COLSTORE_NO_AUTO_COMPACT)) != 0 ||
        ((flags & COLSTORE_CREATE) && !(flags & COLSTORE_WRITABLE))) {
        rc = cs_error_set(&e, CS_EINVAL, "colstore_open: invalid flags 0x%x", flags);
        goto done;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        rc = cs_error_set(&e, CS_ENOMEM, "out of memory");
        goto done;
    }
    unsigned sf = CS_OPEN_READ;
    if (flags & COLSTORE_WRITABLE) sf |= CS_OPEN_WRITE;
    if (flags & COLSTORE_CREATE) sf |= CS_OPEN_CREATE;
    if (flags & COLSTORE_READ_ONCE) sf |= CS_OPEN_PREAD;
    rc = cs_store_open(path, sf, &s->st, &e);
    if (rc != CS_OK) goto done;
    s->flags = flags;
    pthread_mutex_init(&s->write_mu, NULL);
    atomic_init(&s->refs, 1);
    *out_store = s;
    s = NULL;
done:
    free(s);
    return cs_engine_return(err, rc, &e);
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
