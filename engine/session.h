/*
 * A load session: one write transaction that any number of puts feed, whatever their source.
 *
 *   cs_session_begin()   take the writer lock, start the transaction and the writer thread
 *   cs_session_put()     a whole partition of a table, encoded and written beside the caller
 *   cs_session_touch()   note a day whose daily aggregates must be refreshed
 *   cs_session_finish()  refresh every touched day once, from the transaction's own view (the
 *                        fact partitions this session put, else the stored ones), then commit;
 *                        or abort: nothing the session wrote becomes visible
 *
 * Bulk loads of warehouse exports (load_fact.c, load_dim.c) and the nightly job (nightly*.c)
 * are its users: a bulk load puts one table, the nightly job three fact tables and the
 * dimensions, and either way the aggregates see every fact table as the commit will.
 *
 * A session that puts one fact table only (CS_SESSION_ONE_FACT_TABLE: a bulk load) refreshes
 * a day's aggregates as its fact partition is put, from the rows in hand and the other tables'
 * stored columns (which the session leaves as they are): the same result as at finish, without
 * reading back what was just written, and beside the parse instead of after it (a one-year
 * load would otherwise spend ~6 % of its time re-reading its own partitions at the end). A day
 * put twice is refreshed twice.
 */
#ifndef CS_ENGINE_SESSION_H
#define CS_ENGINE_SESSION_H

#include "engine/engine.h"
#include "engine/keyset.h"
#include "engine/load_writer.h"
#include "storage/base/column.h"
#include "storage/store.h"

struct cs_session {
    colstore_store *store;
    struct cs_txn *txn;
    struct cs_snap *snap; /* the version the session started from (owned by txn) */
    struct cs_load_writer writer;
    struct cs_keyset touched_set;
    int32_t *touched; /* days to refresh, in the order first touched */
    size_t ntouched, touched_cap;
    size_t puts; /* partitions put (fact, dimension and aggregate) */
    unsigned flags;
    int fact_table; /* CS_SESSION_ONE_FACT_TABLE: the one fact table put so far, or 0 */
    bool locked;
};

enum cs_session_flags {
    CS_SESSION_ONE_FACT_TABLE = 1u << 0, /* refresh each day as it is put (see above) */
};

/* cs_session_begin() - lock the store for writing (this process's threads, then other
 * processes: CS_EBUSY) and start a transaction. On failure nothing is held. */
int cs_session_begin(colstore_store *store,
                     struct cs_session *s,
                     unsigned flags,
                     struct cs_error *err);
/* cs_session_put() - hand over *rows as the whole partition (table, time_key): written by the
 * writer thread; *rows is left empty (re-initialised for its table). */
int cs_session_put(
    struct cs_session *s, int table, int32_t time_key, struct cs_batch *rows, struct cs_error *err);
/* cs_session_put_group() - cs_session_put() as row group `group` of the partition
 * (CS_WRITE_APPEND: after its last one; load_writer.h). */
int cs_session_put_group(struct cs_session *s,
                         int table,
                         int32_t time_key,
                         int32_t group,
                         struct cs_batch *rows,
                         struct cs_error *err);
/* cs_session_append_fact() - rows appended to fact partition (table, time_key) as a new row
 * group (their keys must be larger than its stored ones: the partition stays in key order),
 * and its day touched. Not with CS_SESSION_ONE_FACT_TABLE. */
int cs_session_append_fact(
    struct cs_session *s, int table, int32_t time_key, struct cs_batch *rows, struct cs_error *err);
/* cs_session_read_part() - the partition as the transaction would commit it now (waits for
 * the writer first). */
int cs_session_read_part(
    struct cs_session *s, int table, int32_t time_key, struct cs_batch *b, struct cs_error *err);
/* cs_session_put_fact() - cs_session_put() of a fact partition, and its day touched (with
 * CS_SESSION_ONE_FACT_TABLE: refreshed now; putting a second fact table is then CS_EINVAL). */
int cs_session_put_fact(
    struct cs_session *s, int table, int32_t time_key, struct cs_batch *rows, struct cs_error *err);
/* cs_session_touch() - day time_key gets its daily aggregates refreshed at finish. */
int cs_session_touch(struct cs_session *s, int32_t time_key, struct cs_error *err);
/* cs_session_finish() - with commit: refresh the touched days and commit when anything was
 * put (an empty session commits nothing); without: abort. Always releases the session. */
int cs_session_finish(struct cs_session *s, bool commit, struct cs_error *err);

#endif
