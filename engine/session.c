/* A load session: one transaction, many puts, aggregates refreshed once at the end (see
 * session.h). */
#include "engine/session.h"

#include <stdlib.h>
#include <string.h>

#include "query/report.h"

int cs_session_begin(colstore_store *store,
                     struct cs_session *s,
                     unsigned flags,
                     struct cs_error *err)
{
    memset(s, 0, sizeof(*s));
    s->store = store;
    s->flags = flags;
    cs_keyset_init(&s->touched_set);
    pthread_mutex_lock(&store->write_mu);
    int rc = cs_txn_begin(store->st, &s->txn, err);
    if (rc == CS_OK) {
        s->snap = cs_txn_snap(s->txn);
        rc = cs_load_writer_start(&s->writer, s->txn, true, err);
        if (rc != CS_OK) {
            cs_txn_abort(s->txn);
            s->txn = NULL;
        }
    }
    if (rc != CS_OK) {
        pthread_mutex_unlock(&store->write_mu);
        cs_keyset_free(&s->touched_set);
        return rc;
    }
    s->locked = true;
    return CS_OK;
}

int cs_session_put(
    struct cs_session *s, int table, int32_t time_key, struct cs_batch *rows, struct cs_error *err)
{
    return cs_session_put_group(s, table, time_key, CS_WRITE_PART, rows, err);
}

int cs_session_put_group(struct cs_session *s,
                         int table,
                         int32_t time_key,
                         int32_t group,
                         struct cs_batch *rows,
                         struct cs_error *err)
{
    s->puts++;
    return cs_load_writer_put(&s->writer, table, time_key, group, rows, err);
}

int cs_session_append_fact(
    struct cs_session *s, int table, int32_t time_key, struct cs_batch *rows, struct cs_error *err)
{
    if (s->flags & CS_SESSION_ONE_FACT_TABLE)
        return cs_error_set(err, CS_EINVAL, "session: appends refresh at finish only");
    int rc = cs_session_touch(s, time_key, err);
    return rc != CS_OK ? rc : cs_session_put_group(s, table, time_key, CS_WRITE_APPEND, rows, err);
}

int cs_session_read_part(
    struct cs_session *s, int table, int32_t time_key, struct cs_batch *b, struct cs_error *err)
{
    int rc = cs_load_writer_drain(&s->writer, err);
    return rc != CS_OK ? rc : cs_txn_read_part(s->txn, table, time_key, b, err);
}

int cs_session_touch(struct cs_session *s, int32_t time_key, struct cs_error *err)
{
    const int seen = cs_keyset_add(&s->touched_set, time_key);
    if (seen < 0) return cs_error_set(err, CS_ENOMEM, "out of memory");
    if (seen == 1) return CS_OK;
    if (s->ntouched == s->touched_cap) {
        size_t cap = s->touched_cap ? 2 * s->touched_cap : 64;
        int32_t *p = realloc(s->touched, cap * sizeof(*p));
        if (p == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
        s->touched = p;
        s->touched_cap = cap;
    }
    s->touched[s->ntouched++] = time_key;
    return CS_OK;
}

static int cmp_i32(const void *a, const void *b)
{
    const int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static const int facts[3] = {CS_T_FACT_AGENT_QUERY, CS_T_FACT_APPROVAL, CS_T_FACT_TRAINING};

/* Recompute day time_key's aggregate rows from the aggregate's input columns of the three
 * fact tables as the transaction stands, and put them. When rows is not NULL (a one-fact-table
 * session), table `have` comes from *rows and the two others from the version the session
 * started from: such a session never puts them, and between drains the transaction's list of
 * puts belongs to the writer thread, so it must not be read here. */
static int refresh_day(struct cs_session *s,
                       int32_t time_key,
                       int have,
                       const struct cs_batch *rows,
                       struct cs_batch day[3],
                       struct cs_batch *agg,
                       struct cs_error *err)
{
    const struct cs_batch *use[3];
    int rc = CS_OK;
    for (int i = 0; i < 3 && rc == CS_OK; i++) {
        const struct cs_table_def *t = cs_schema_table(facts[i]);
        use[i] = &day[i];
        if (rows != NULL && facts[i] == have)
            use[i] = rows;
        else if (rows != NULL) /* never put in this session; the txn is the writer's now */
            rc = cs_snap_read_day_cols(s->snap, facts[i], time_key, t->agg_cols, t->nagg, &day[i],
                                       err);
        else
            rc = cs_txn_read_cols(s->txn, facts[i], time_key, t->agg_cols, t->nagg, &day[i], err);
    }
    cs_batch_reset(agg);
    if (rc == CS_OK) rc = cs_daily_agg_compute(time_key, use[0], use[1], use[2], agg, err);
    if (rc == CS_OK) rc = cs_session_put(s, CS_T_AGG_DAILY, time_key, agg, err);
    return rc;
}

static void day_batches(struct cs_batch day[3], struct cs_batch *agg)
{
    for (int i = 0; i < 3; i++)
        cs_batch_init(&day[i], cs_schema_table(facts[i]));
    cs_batch_init(agg, cs_schema_table(CS_T_AGG_DAILY));
}

static void day_batches_free(struct cs_batch day[3], struct cs_batch *agg)
{
    for (int i = 0; i < 3; i++)
        cs_batch_free(&day[i]);
    cs_batch_free(agg);
}

int cs_session_put_fact(
    struct cs_session *s, int table, int32_t time_key, struct cs_batch *rows, struct cs_error *err)
{
    if (!(s->flags & CS_SESSION_ONE_FACT_TABLE)) {
        int rc = cs_session_touch(s, time_key, err);
        return rc != CS_OK ? rc : cs_session_put(s, table, time_key, rows, err);
    }
    if (s->fact_table != 0 && s->fact_table != table)
        return cs_error_set(err, CS_EINVAL, "session: a second fact table in a one-table session");
    s->fact_table = table;
    struct cs_batch day[3], agg;
    day_batches(day, &agg);
    int rc = refresh_day(s, time_key, table, rows, day, &agg, err);
    day_batches_free(day, &agg);
    return rc != CS_OK ? rc : cs_session_put(s, table, time_key, rows, err);
}

static int refresh_all(struct cs_session *s, struct cs_error *err)
{
    int rc = cs_load_writer_drain(&s->writer, err); /* the facts' puts are readable */
    if (rc != CS_OK || s->ntouched == 0) return rc;
    qsort(s->touched, s->ntouched, sizeof(int32_t), cmp_i32);
    struct cs_batch day[3], agg;
    day_batches(day, &agg);
    for (size_t i = 0; i < s->ntouched && rc == CS_OK; i++)
        rc = refresh_day(s, s->touched[i], 0, NULL, day, &agg, err);
    day_batches_free(day, &agg);
    return rc;
}

int cs_session_finish(struct cs_session *s, bool commit, struct cs_error *err)
{
    int rc = CS_OK;
    if (commit && s->puts > 0) rc = refresh_all(s, err);
    struct cs_error werr = {0};
    const int wrc = cs_load_writer_stop(&s->writer, &werr);
    if (rc == CS_OK && wrc != CS_OK) {
        rc = wrc;
        if (err != NULL) *err = werr;
    }
    if (commit && rc == CS_OK && s->puts > 0) {
        rc = cs_txn_commit(s->txn, err);
        if (rc == CS_OK) cs_engine_auto_compact(s->store); /* still under write_mu */
    } else {
        cs_txn_abort(s->txn);
    }
    s->txn = NULL;
    if (s->locked) pthread_mutex_unlock(&s->store->write_mu);
    s->locked = false;
    cs_keyset_free(&s->touched_set);
    free(s->touched);
    s->touched = NULL;
    return rc;
}
