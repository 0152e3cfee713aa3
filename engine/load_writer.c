/* The loader's writer thread (see load_writer.h). */
#include "engine/load_writer.h"

#include <string.h>

static int write_job(struct cs_txn *txn, const struct cs_write_job *j, struct cs_error *e)
{
    if (j->group == CS_WRITE_PART) return cs_txn_put_part(txn, j->table, j->time_key, &j->rows, e);
    if (j->group == CS_WRITE_APPEND)
        return cs_txn_append_part(txn, j->table, j->time_key, &j->rows, e);
    return cs_txn_put_group(txn, j->table, j->time_key, (uint32_t)j->group, &j->rows, e);
}

static void *writer_main(void *arg)
{
    struct cs_load_writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->count == 0 && !w->stop)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->count == 0 && w->stop) break;
        struct cs_write_job job = w->jobs[w->head];
        w->head = (w->head + 1) % CS_WRITER_QUEUE;
        w->count--;
        w->busy = true;
        const bool failed = w->rc != CS_OK;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        struct cs_error e = {0};
        int rc = failed ? CS_OK : write_job(w->txn, &job, &e);
        cs_batch_free(&job.rows);
        pthread_mutex_lock(&w->mu);
        if (rc != CS_OK && w->rc == CS_OK) {
            w->rc = rc;
            w->err = e;
        }
        w->busy = false;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int cs_load_writer_start(struct cs_load_writer *w,
                         struct cs_txn *txn,
                         bool threads,
                         struct cs_error *err)
{
    memset(w, 0, sizeof(*w));
    w->txn = txn;
    if (!threads) return CS_OK;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        return cs_error_set(err, CS_EIO, "could not start the writer thread");
    }
    w->started = true;
    return CS_OK;
}

static int failure(struct cs_load_writer *w, struct cs_error *err)
{
    if (w->rc != CS_OK && err != NULL) *err = w->err;
    return w->rc;
}

int cs_load_writer_put(struct cs_load_writer *w,
                       int table,
                       int32_t time_key,
                       int32_t group,
                       struct cs_batch *rows,
                       struct cs_error *err)
{
    const struct cs_table_def *t = rows->table;
    if (!w->started) {
        const struct cs_write_job job = {table, time_key, group, *rows};
        int rc = write_job(w->txn, &job, err);
        cs_batch_free(rows);
        cs_batch_init(rows, t);
        return rc;
    }
    pthread_mutex_lock(&w->mu);
    while (w->count == CS_WRITER_QUEUE && w->rc == CS_OK)
        pthread_cond_wait(&w->cv, &w->mu);
    int rc = failure(w, err);
    if (rc == CS_OK) {
        struct cs_write_job *j = &w->jobs[(w->head + w->count) % CS_WRITER_QUEUE];
        j->table = table;
        j->time_key = time_key;
        j->group = group;
        j->rows = *rows; /* ownership moves to the writer */
        w->count++;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    if (rc != CS_OK) cs_batch_free(rows);
    cs_batch_init(rows, t);
    return rc;
}

int cs_load_writer_drain(struct cs_load_writer *w, struct cs_error *err)
{
    if (!w->started) return CS_OK;
    pthread_mutex_lock(&w->mu);
    while (w->count > 0 || w->busy)
        pthread_cond_wait(&w->cv, &w->mu);
    int rc = failure(w, err);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int cs_load_writer_stop(struct cs_load_writer *w, struct cs_error *err)
{
    if (!w->started) return CS_OK;
    int rc = cs_load_writer_drain(w, err);
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    w->started = false;
    return rc;
}
