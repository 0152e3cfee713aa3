/*
 * colstore_compact: storage/compact.c behind the public API, and the automatic compaction
 * after each load (cs_engine_auto_compact(), called by the load session after its commit).
 */
#include "engine/engine.h"

#include <string.h>

#include "storage/compact.h"

static void to_public(const struct cs_compact_stats *s, colstore_compact_stats *out)
{
    colstore_compact_stats o = COLSTORE_COMPACT_STATS_INIT;
    o.committed = s->committed;
    o.version = s->version;
    o.bytes_before = s->bytes_before;
    o.bytes_after = s->bytes_after;
    o.dead_bytes_before = s->dead_bytes_before;
    o.files_before = s->files_before;
    o.files_after = s->files_after;
    o.blocks_copied = s->groups_copied;
    o.partitions_merged = s->partitions_merged;
    o.groups_merged = s->groups_merged;
    const size_t n = out->size < sizeof(o) ? out->size : sizeof(o);
    memcpy(out, &o, n);
    out->size = n;
}

int colstore_compact(colstore_store *store,
                     const colstore_compact_options *opts,
                     colstore_compact_stats *stats,
                     colstore_error *err)
{
    struct cs_error e = {0};
    int rc = CS_OK;
    if (store == NULL || (stats != NULL && stats->size < sizeof(size_t))) {
        rc = cs_error_set(&e, CS_EINVAL, "compact: store is required (and stats->size set)");
        goto done;
    }
    if (opts != NULL && opts->size < sizeof(size_t)) {
        rc = cs_error_set(&e, CS_EINVAL, "compact: opts->size is %zu", opts->size);
        goto done;
    }
    if (!(store->flags & COLSTORE_WRITABLE)) {
        rc = cs_error_set(&e, CS_EINVAL, "compact: the store is open read-only");
        goto done;
    }
    const bool automatic = opts != NULL && opts->automatic;
    const struct cs_compact_policy all = CS_COMPACT_POLICY_ALL, aut = CS_COMPACT_POLICY_AUTO;
    struct cs_compact_stats s;
    pthread_mutex_lock(&store->write_mu);
    rc = cs_store_compact(store->st, automatic ? &aut : &all, &s, &e);
    pthread_mutex_unlock(&store->write_mu);
    if (rc == CS_OK && stats != NULL) to_public(&s, stats);
done:
    return cs_engine_return(err, rc, &e);
}

void cs_engine_auto_compact(colstore_store *store)
{
    if (store->flags & COLSTORE_NO_AUTO_COMPACT) return;
    const struct cs_compact_policy aut = CS_COMPACT_POLICY_AUTO;
    struct cs_compact_stats s;
    struct cs_error e = {0};
    /* best effort: the load has committed; a failed compaction changed nothing (it is one
     * commit) and the next load, or `colload compact`, tries again */
    (void)cs_store_compact(store->st, &aut, &s, &e);
}
