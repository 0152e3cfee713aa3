/*
 * Parallel work over items handed out one at a time (see kernel.h). Worker 0 is the calling thread;
 * the others are pthreads started per run (a report runs for well under a millisecond of
 * thread start-up per worker, so no pool is kept and the library holds no global state).
 * The library's threads block every signal: the embedding process (a PostgreSQL backend, whose
 * handlers must run in its main thread) keeps receiving them where it expects to.
 */
#include "query/kernel.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

struct par_shared {
    atomic_size_t next; /* the next item to hand out */
    atomic_bool stop;   /* an item failed: start no more */
    size_t nitems;
    cs_par_fn fn;
    const volatile int *cancel; /* cs_par_set_cancel() of the calling thread, or NULL */
};

static _Thread_local const volatile int *par_cancel;

void cs_par_set_cancel(const volatile int *cancel)
{
    par_cancel = cancel;
}

struct par_worker {
    struct par_shared *sh;
    void *state;
    size_t failed_item; /* SIZE_MAX when none */
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
    struct par_shared *sh = pw->sh;
    while (!atomic_load_explicit(&sh->stop, memory_order_relaxed)) {
        const size_t i = atomic_fetch_add_explicit(&sh->next, 1, memory_order_relaxed);
        if (i >= sh->nitems) break;
        const int rc = sh->cancel != NULL && *sh->cancel
                           ? cs_error_set(&pw->err, CS_EINVAL, "canceled")
                           : sh->fn(pw->state, i, &pw->err);
        if (rc != CS_OK) {
            pw->rc = rc;
            pw->failed_item = i;
            atomic_store_explicit(&sh->stop, true, memory_order_relaxed);
            break;
        }
    }
    return NULL;
}

int cs_par_run(
    size_t nitems, size_t workers, cs_par_fn fn, void *const *states, struct cs_error *err)
{
    if (workers == 0) workers = 1;
    if (workers > CS_PAR_MAX_WORKERS) workers = CS_PAR_MAX_WORKERS;
    struct par_shared sh = {0, false, nitems, fn, par_cancel};
    atomic_init(&sh.next, 0);
    atomic_init(&sh.stop, false);
    struct par_worker pw[CS_PAR_MAX_WORKERS];
    pthread_t tid[CS_PAR_MAX_WORKERS];
    bool started[CS_PAR_MAX_WORKERS] = {false};
    for (size_t w = 0; w < workers; w++)
        pw[w] = (struct par_worker){&sh, states[w], SIZE_MAX, CS_OK, {0, ""}};
    /* threads inherit the creator's signal mask: block everything while creating them */
    sigset_t all, old;
    (void)sigfillset(&all);
    const bool masked = workers > 1 && pthread_sigmask(SIG_SETMASK, &all, &old) == 0;
    for (size_t w = 1; w < workers; w++)
        started[w] = pthread_create(&tid[w], NULL, par_main, &pw[w]) == 0;
    if (masked) (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    par_main(&pw[0]); /* threads that could not start leave their items to the others */
    for (size_t w = 1; w < workers; w++) {
        if (started[w]) (void)pthread_join(tid[w], NULL);
    }
    size_t first = SIZE_MAX, which = 0;
    for (size_t w = 0; w < workers; w++) {
        if (pw[w].rc != CS_OK && pw[w].failed_item < first) {
            first = pw[w].failed_item;
            which = w;
        }
    }
    if (first == SIZE_MAX) return CS_OK;
    if (err != NULL) *err = pw[which].err;
    return pw[which].rc;
}

uint64_t cs_day_weights(struct cs_snap *snap,
                        int table,
                        const struct cs_day_slot *days,
                        size_t ndays,
                        uint64_t *weights)
{
    uint64_t total = 0;
    for (size_t i = 0; i < ndays; i++) {
        weights[i] = 0;
        for (size_t g = 0; g < days[i].nparts; g++)
            weights[i] += cs_snap_part(snap, table, days[i].part + g).rows;
        total += weights[i];
    }
    return total;
}
