/*
 * The loader's writer thread: encoding and writing partitions (cs_txn_put_part) runs beside
 * parsing and staging. The loading thread hands over whole batches (ownership moves to the
 * writer) through a small bounded queue; cs_load_writer_drain() waits until everything handed
 * over is written, and must be called before the loading thread touches the transaction itself
 * (cs_txn_read_part of a day it already put, commit, abort).
 */
#ifndef CS_ENGINE_LOAD_WRITER_H
#define CS_ENGINE_LOAD_WRITER_H

#include <pthread.h>
#include <stdbool.h>

#include "storage/base/column.h"
#include "storage/base/status.h"
#include "storage/store.h"

#define CS_WRITER_QUEUE 4

/* What a job does with its rows (storage/store.h). */
#define CS_WRITE_PART   (-1) /* cs_txn_put_part: the whole partition */
#define CS_WRITE_APPEND (-2) /* cs_txn_append_part: a new row group after the last */
/* >= 0: cs_txn_put_group of that row group */

struct cs_write_job {
    int table;
    int32_t time_key;
    int32_t group; /* CS_WRITE_PART, CS_WRITE_APPEND or a row group number */
    struct cs_batch rows;
};

struct cs_load_writer {
    struct cs_txn *txn;
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct cs_write_job jobs[CS_WRITER_QUEUE];
    size_t head, count;
    bool busy, stop;
    int rc; /* first failure, sticky */
    struct cs_error err;
};

/* cs_load_writer_start() - start the writer for txn; without a thread (threads == false) every
 * put runs inline in cs_load_writer_put(). */
int cs_load_writer_start(struct cs_load_writer *w,
                         struct cs_txn *txn,
                         bool threads,
                         struct cs_error *err);
/* cs_load_writer_put() - hand over *rows (left empty, re-initialised for its table) to be put as
 * partition (table, time_key) (group CS_WRITE_PART), appended to it (CS_WRITE_APPEND) or put as
 * its row group `group`. Returns the writer's first failure, if any. */
int cs_load_writer_put(struct cs_load_writer *w,
                       int table,
                       int32_t time_key,
                       int32_t group,
                       struct cs_batch *rows,
                       struct cs_error *err);
/* cs_load_writer_drain() - wait until every handed-over batch is written; the first failure. */
int cs_load_writer_drain(struct cs_load_writer *w, struct cs_error *err);
/* cs_load_writer_stop() - drain, end the thread, free queued batches. */
int cs_load_writer_stop(struct cs_load_writer *w, struct cs_error *err);

#endif
