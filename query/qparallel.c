/*
 * Parallel work over contiguous item ranges (see kernel.h). Worker 0 is the calling thread;
 * the others are pthreads started per run (a report runs for well under a millisecond of
 * thread start-up per worker, so no pool is kept and the library holds no global state).
 */
#include "query/kernel.h"

#include <pthread.h>
#include <string.h>

struct par_worker {
    cs_par_fn fn;
    void *state;
    size_t begin, end;
    int rc;
    struct cs_error err;
};

size_t cs_par_workers(size_t nitems, uint64_t total_weight, unsigned threads)
{
    size_t w = threads == 0 ? 2 : threads;
    if (w > CS_PAR_MAX_WORKERS) w = CS_PAR_MAX_WORKERS;
    if (w > nitems) w = nitems;
    if (threads == 0 && total_weight < CS_PAR_MIN_ROWS) w = 1;
    return w == 0 ? 1 : w;
}

static void *par_main(void *arg)
{
    struct par_worker *pw = arg;
    pw->rc = CS_OK;
    for (size_t i = pw->begin; i < pw->end; i++) {
        pw->rc = pw->fn(pw->state, i, &pw->err);
        if (pw->rc != CS_OK) break;
    }
    return NULL;
}

/* Contiguous ranges with about total/workers weight each. */
static void split(size_t nitems, const uint64_t *weights, size_t workers, size_t *bounds)
{
    uint64_t total = 0;
    for (size_t i = 0; i < nitems; i++)
        total += weights != NULL ? weights[i] : 1;
    bounds[0] = 0;
    size_t item = 0;
    uint64_t acc = 0;
    for (size_t w = 1; w < workers; w++) {
        const uint64_t target = total / workers * w + total % workers * w / workers;
        while (item < nitems && acc < target)
            acc += weights != NULL ? weights[item++] : 1;
        bounds[w] = item;
    }
    bounds[workers] = nitems;
}

int cs_par_run(size_t nitems,
               const uint64_t *weights,
               size_t workers,
               cs_par_fn fn,
               void *const *states,
               size_t *bounds,
               struct cs_error *err)
{
    if (workers == 0) workers = 1;
    if (workers > CS_PAR_MAX_WORKERS) workers = CS_PAR_MAX_WORKERS;
    size_t b[CS_PAR_MAX_WORKERS + 1];
    split(nitems, weights, workers, b);
    if (bounds != NULL) memcpy(bounds, b, (workers + 1) * sizeof(b[0]));

    struct par_worker pw[CS_PAR_MAX_WORKERS];
    pthread_t tid[CS_PAR_MAX_WORKERS];
    bool started[CS_PAR_MAX_WORKERS] = {false};
    for (size_t w = 0; w < workers; w++) {
        pw[w] = (struct par_worker){fn, states[w], b[w], b[w + 1], CS_OK, {0, ""}};
    }
    for (size_t w = 1; w < workers; w++) {
        started[w] = pthread_create(&tid[w], NULL, par_main, &pw[w]) == 0;
    }
    par_main(&pw[0]);
    for (size_t w = 1; w < workers; w++) {
        if (started[w]) {
            (void)pthread_join(tid[w], NULL);
        } else {
            par_main(&pw[w]); /* could not start a thread: do its share here */
        }
    }
    for (size_t w = 0; w < workers; w++) {
        if (pw[w].rc != CS_OK) {
            if (err != NULL) *err = pw[w].err;
            return pw[w].rc;
        }
    }
    return CS_OK;
}

uint64_t cs_day_weights(struct cs_snap *snap,
                        int table,
                        const struct cs_day_slot *days,
                        size_t ndays,
                        uint64_t *weights)
{
    uint64_t total = 0;
    for (size_t i = 0; i < ndays; i++) {
        weights[i] = cs_snap_part(snap, table, days[i].part).rows;
        total += weights[i];
    }
    return total;
}
