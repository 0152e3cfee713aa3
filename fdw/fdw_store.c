/*
 * This backend's store handles, one per foreign server. A handle maps the store's data files,
 * so queries after the first find their pages mapped already; it is opened on first use and
 * kept for the life of the backend. ALTER SERVER (a new `store`) marks the handles stale: a
 * stale handle is closed once no running query holds it, and the next query opens the new
 * path. A query holds a handle from its first scan until its memory context goes away, which
 * also happens on an error or a cancel, so a handle is never leaked nor closed under a scan.
 */
#include "fdw/fdw.h"

#include <sys/stat.h>

#include "access/parallel.h"
#include "access/xact.h"
#include "lib/stringinfo.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

struct cs_fdw_store {
    struct cs_fdw_store *next;
    Oid serverid;
    char *path; /* in TopMemoryContext */
    colstore_store *store;
    int holders; /* queries holding the handle */
    bool stale;  /* the server changed: close when no query holds it */
    dev_t dev;   /* the directory the handle opened (a store replaced by another */
    ino_t ino;   /* directory at the same path is opened anew) */
};

static struct cs_fdw_store *handles;
static bool callback_registered;

static void close_handle(struct cs_fdw_store *h)
{
    struct cs_fdw_store **pp = &handles;
    while (*pp != h)
        pp = &(*pp)->next;
    *pp = h->next;
    colstore_close(h->store);
    pfree(h->path);
    pfree(h);
}

static void on_server_change(Datum arg, int cacheid, uint32 hashvalue)
{
    (void)arg;
    (void)cacheid;
    (void)hashvalue;
    /* Which server changed is not worth finding out: every handle is reopened lazily. */
    struct cs_fdw_store *h = handles;
    while (h != NULL) {
        struct cs_fdw_store *next = h->next;
        h->stale = true;
        if (h->holders == 0) close_handle(h);
        h = next;
    }
}

struct holder {
    MemoryContextCallback cb;
    struct cs_fdw_store *h;
};

static void release_handle(void *arg)
{
    struct cs_fdw_store *h = ((struct holder *)arg)->h;
    h->holders--;
    if (h->stale && h->holders == 0) close_handle(h);
}

static struct cs_fdw_store *open_handle(Oid serverid, const char *path, const struct stat *sb)
{
    colstore_error err;
    colstore_store *st = NULL;
    if (colstore_open(path, COLSTORE_READ_ONLY, &st, &err) != COLSTORE_OK)
        cs_fdw_raise(&err, "opening the store of a colstore_fdw server");
    struct cs_fdw_store *h = MemoryContextAllocZero(TopMemoryContext, sizeof(*h));
    h->serverid = serverid;
    h->path = MemoryContextStrdup(TopMemoryContext, path);
    h->store = st;
    h->dev = sb->st_dev;
    h->ino = sb->st_ino;
    h->next = handles;
    handles = h;
    return h;
}

colstore_store *cs_fdw_store_acquire(Oid serverid, MemoryContext owner)
{
    if (!callback_registered) {
        CacheRegisterSyscacheCallback(FOREIGNSERVEROID, on_server_change, (Datum)0);
        callback_registered = true;
    }
    char *path = cs_fdw_server_store(serverid);
    /* A handle keeps its directory open: a store removed and restored (or replaced) at the
     * same path is another directory, and gets a new handle. */
    struct stat sb;
    if (stat(path, &sb) != 0) memset(&sb, 0, sizeof(sb));
    struct cs_fdw_store *h = handles;
    while (h != NULL && (h->serverid != serverid || h->stale || strcmp(h->path, path) != 0 ||
                         h->dev != sb.st_dev || h->ino != sb.st_ino)) {
        struct cs_fdw_store *next = h->next;
        if (h->serverid == serverid && (h->dev != sb.st_dev || h->ino != sb.st_ino)) {
            h->stale = true;
            if (h->holders == 0) close_handle(h);
        }
        h = next;
    }
    /* Allocated first: once the handle is counted, nothing can fail before the release is
     * registered. */
    struct holder *hold = MemoryContextAllocZero(owner, sizeof(*hold));
    if (h == NULL) h = open_handle(serverid, path, &sb);
    hold->h = h;
    hold->cb.func = release_handle;
    hold->cb.arg = hold;
    h->holders++;
    MemoryContextRegisterResetCallback(owner, &hold->cb);
    return h->store;
}

/* ---- One snapshot per query ---- */

/* The snapshots of running queries, one per (query, server): every scan of a query (a fact
 * table and its dimensions, subqueries, both sides of a self-join) reads the same committed
 * state, whatever loads commit while it runs. Closed with the query's memory. */
struct query_snap {
    MemoryContextCallback cb;
    struct query_snap *next;
    MemoryContext query_cxt;
    Oid serverid;
    colstore_snapshot *snap;
};

static struct query_snap *query_snaps;

static void close_query_snap(void *arg)
{
    struct query_snap *q = arg;
    struct query_snap **pp = &query_snaps;
    while (*pp != NULL && *pp != q)
        pp = &(*pp)->next;
    if (*pp != NULL) *pp = (*pp)->next; /* *pp is q: the loop stops only at q or the end */
    colstore_snapshot_close(q->snap);
}

/* The versions this backend's current queries read, published for parallel workers as the
 * hidden setting colstore_fdw.snapshots ("serverid:version,..."): a parallel worker receives its
 * leader's settings, so every colstore scan it runs — the parallel one and any other, such as
 * a dimension scanned under a parallel hash join — reads the leader's snapshot. */
static char *published;

static void publish_version(Oid serverid, uint64 version)
{
    StringInfoData buf;
    initStringInfo(&buf);
    appendStringInfo(&buf, "%u:" UINT64_FORMAT, serverid, version);
    /* keep the other servers' entries */
    const char *cur = published != NULL ? published : "";
    while (*cur != '\0') {
        const char *end = strchr(cur, ',');
        size_t len = end != NULL ? (size_t)(end - cur) : strlen(cur);
        if ((Oid)strtoul(cur, NULL, 10) != serverid) appendStringInfo(&buf, ",%.*s", (int)len, cur);
        cur += len + (end != NULL ? 1 : 0);
    }
    (void)set_config_option("colstore_fdw.snapshots", buf.data, PGC_USERSET, PGC_S_SESSION,
                            GUC_ACTION_SET, true, 0, false);
    pfree(buf.data);
}

static bool published_version(Oid serverid, uint64 *version)
{
    for (const char *cur = published != NULL ? published : ""; *cur != '\0';) {
        char *after;
        Oid id = (Oid)strtoul(cur, &after, 10);
        if (*after != ':') return false;
        uint64 v = strtou64(after + 1, &after, 10);
        if (id == serverid) {
            *version = v;
            return true;
        }
        cur = *after == ',' ? after + 1 : after;
    }
    return false;
}

void cs_fdw_define_settings(void)
{
    DefineCustomStringVariable(
        "colstore_fdw.snapshots", "Store versions read by the current queries (internal).", NULL,
        &published, "", PGC_USERSET,
        GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE | GUC_NO_RESET_ALL, NULL, NULL,
        NULL);
}

colstore_snapshot *cs_fdw_query_snapshot(MemoryContext query_cxt, Oid serverid)
{
    for (struct query_snap *q = query_snaps; q != NULL; q = q->next)
        if (q->query_cxt == query_cxt && q->serverid == serverid) return q->snap;
    colstore_store *store = cs_fdw_store_acquire(serverid, query_cxt);
    struct query_snap *q = MemoryContextAllocZero(query_cxt, sizeof(*q));
    colstore_error err;
    uint64 version = 0;
    const bool worker = IsParallelWorker() && published_version(serverid, &version);
    int rc = worker ? colstore_snapshot_open_version(store, version, &q->snap, &err)
                    : colstore_snapshot_open(store, &q->snap, &err);
    if (rc != COLSTORE_OK) cs_fdw_raise(&err, "opening a snapshot of the store");
    q->query_cxt = query_cxt;
    q->serverid = serverid;
    q->cb.func = close_query_snap;
    q->cb.arg = q;
    MemoryContextRegisterResetCallback(query_cxt, &q->cb);
    q->next = query_snaps;
    query_snaps = q;
    if (!IsParallelWorker() && !IsInParallelMode())
        publish_version(serverid, colstore_snapshot_version(q->snap));
    return q->snap;
}
