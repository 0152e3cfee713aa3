/*
 * colstore_retain: retention by day. The days before a date are dropped from the fact tables
 * in one commit of an ordinary load session (engine/session.h): a put of no rows removes a
 * partition, and each dropped day is touched, so the session recomputes that day's aggregates
 * from the fact tables as the commit leaves them — nothing when every fact table was trimmed
 * (the aggregate partition goes too), the rows of the tables kept otherwise. The result is the
 * state of the same data loaded without those rows, by construction rather than by a second
 * code path that could drift from the loader's.
 *
 * Space: the commit's cleanup deletes every data file that neither the new version nor a
 * pinned snapshot names (docs/storage-format.md §7); a file that still holds kept days stays
 * whole until compaction rewrites them.
 */
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "engine/session.h"
#include "storage/base/pgtext.h"
#include "storage/base/schema.h"

#define RETAIN_OPTIONS_V1_SIZE (offsetof(colstore_retain_options, ntables) + sizeof(size_t))

static const int fact_ids[3] = {CS_T_FACT_AGENT_QUERY, CS_T_FACT_APPROVAL, CS_T_FACT_TRAINING};

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The options, checked: *before_key (YYYYMMDD) and which fact tables to trim. */
static int check_args(colstore_store *store,
                      const colstore_retain_options *opts,
                      colstore_retain_options *o,
                      int32_t *before_key,
                      bool trim[3],
                      struct cs_error *e)
{
    *o = (colstore_retain_options)COLSTORE_RETAIN_OPTIONS_INIT;
    if (store == NULL || opts == NULL)
        return cs_error_set(e, CS_EINVAL, "retain: store and options are required");
    int rc = cs_engine_read_options(o, sizeof(*o), opts, RETAIN_OPTIONS_V1_SIZE,
                                    "colstore_retain_options", e);
    if (rc != CS_OK) return rc;
    if (!(store->flags & COLSTORE_WRITABLE))
        return cs_error_set(e, CS_EINVAL, "retain: the store was opened read-only");
    if (o->before == NULL)
        return cs_error_set(e, CS_EINVAL, "retain: before (the first day kept) is required");
    int64_t days;
    if (!cs_engine_parse_date(o->before, &days))
        return cs_error_set(e, CS_EINPUT, "before: invalid date \"%s\" (expected YYYY-MM-DD)",
                            o->before);
    *before_key = cs_time_key_from_days(days);
    if (o->tables == NULL || o->ntables == 0) {
        trim[0] = trim[1] = trim[2] = true;
        return CS_OK;
    }
    trim[0] = trim[1] = trim[2] = false;
    for (size_t i = 0; i < o->ntables; i++) {
        const char *name = o->tables[i];
        const struct cs_table_def *t = name != NULL ? cs_schema_find_table(name) : NULL;
        int k = 0;
        while (t != NULL && k < 3 && fact_ids[k] != t->id)
            k++;
        if (t != NULL && k < 3) {
            trim[k] = true;
        } else if (t != NULL && t->id == CS_T_AGG_DAILY) {
            return cs_error_set(
                e, CS_EINVAL, "retain: %s follows the fact tables (it is trimmed with them)", name);
        } else if (t != NULL) {
            return cs_error_set(e, CS_EINVAL, "retain: %s is a dimension; dimensions are kept",
                                name);
        } else {
            return cs_error_set(e, CS_EINVAL,
                                "retain: unknown table \"%s\" (fact_agent_query, fact_approval "
                                "or fact_training)",
                                name != NULL ? name : "(null)");
        }
    }
    return CS_OK;
}

/* Put an empty partition for every day before before_key of the trimmed tables; each day is
 * touched (its aggregates recomputed at finish). With all three trimmed, the aggregate's own
 * days before the date are touched too, so that none can outlive its facts. */
static int drop_days(struct cs_session *s,
                     int32_t before_key,
                     const bool trim[3],
                     colstore_retain_stats *st,
                     struct cs_error *e)
{
    int rc = CS_OK;
    for (int k = 0; k < 3 && rc == CS_OK; k++) {
        if (!trim[k]) continue;
        const struct cs_table_def *t = cs_schema_table(fact_ids[k]);
        size_t first, end;
        cs_snap_part_range(s->snap, t->id, INT32_MIN, before_key - 1, &first, &end);
        for (size_t i = first; i < end && rc == CS_OK; i++) {
            const struct cs_part_info p = cs_snap_part(s->snap, t->id, i);
            struct cs_batch none;
            cs_batch_init(&none, t);
            rc = cs_session_put_fact(s, t->id, p.time_key, &none, e);
            cs_batch_free(&none);
            st->partitions_dropped++;
            st->rows_dropped += p.rows;
        }
    }
    if (rc == CS_OK && trim[0] && trim[1] && trim[2]) {
        size_t first, end;
        cs_snap_part_range(s->snap, CS_T_AGG_DAILY, INT32_MIN, before_key - 1, &first, &end);
        for (size_t i = first; i < end && rc == CS_OK; i++)
            rc = cs_session_touch(s, cs_snap_part(s->snap, CS_T_AGG_DAILY, i).time_key, e);
    }
    if (rc == CS_OK) st->agg_days = s->ntouched;
    /* an aggregate day alone (no fact partition put) still needs a commit */
    if (rc == CS_OK && s->ntouched > 0 && s->puts == 0) s->puts = 1;
    return rc;
}

int colstore_retain(colstore_store *store,
                    const colstore_retain_options *opts,
                    colstore_retain_stats *stats,
                    colstore_error *err)
{
    struct cs_error e = {0};
    const double t0 = mono_s();
    colstore_retain_stats st = COLSTORE_RETAIN_STATS_INIT;
    colstore_retain_options o;
    int32_t before_key = 0;
    bool trim[3];
    int rc;
    if (stats != NULL && stats->size < sizeof(size_t)) {
        rc = cs_error_set(&e, CS_EINVAL, "retain: stats->size is %zu", stats->size);
        goto done;
    }
    rc = check_args(store, opts, &o, &before_key, trim, &e);
    if (rc != CS_OK) goto done;
    struct cs_session s;
    rc = cs_session_begin(store, &s, 0, &e);
    if (rc != CS_OK) goto done;
    const uint64_t base = cs_snap_version(s.snap);
    rc = drop_days(&s, before_key, trim, &st, &e);
    const bool any = s.puts > 0;
    const int frc = cs_session_finish(&s, rc == CS_OK, &e);
    if (rc == CS_OK) rc = frc;
    if (rc == CS_OK && any) st.version = base + 1;
done:
    st.seconds = mono_s() - t0;
    if (stats != NULL) {
        const size_t n = stats->size < sizeof(st) ? stats->size : sizeof(st);
        memcpy((char *)stats + sizeof(size_t), (const char *)&st + sizeof(size_t),
               n - sizeof(size_t));
    }
    return cs_engine_return(err, rc, &e);
}
