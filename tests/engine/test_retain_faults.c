/*
 * retain_faults_*: colstore_retain() SIGKILLed at every store operation, and failed at every
 * operation (EIO or ENOSPC, once and sticky): the store verifies and answers as before the
 * retention or as after it, and a re-run gives the state after it. (A file of its own: these
 * are the long ones.)
 */
#include "tests/engine/retain_fixture.h"

Test(retain_faults, sigkill_at_every_operation, .init = setup, .fini = teardown, .timeout = 1200)
{
    char dir[4200];
    colstore_error err;
    fresh(dir, "full");
    cs_sio_fault_arm(0, 0, 0, false);
    cr_assert_eq(retain_all(dir, &err), COLSTORE_OK, "%s", err.message);
    const uint64_t total = cs_sio_fault_count(CS_SIO_ANY);
    cr_assert(total >= 10);
    unsigned saw_old = 0, saw_new = 0;
    for (uint64_t n = 1; n <= total; n++) {
        fresh(dir, "full");
        const pid_t pid = fork();
        cr_assert(pid >= 0);
        if (pid == 0) {
            cs_sio_fault_arm(CS_SIO_ANY, n, CS_SIO_KILL, false);
            colstore_error e;
            _exit(retain_all(dir, &e) == COLSTORE_OK ? 0 : 1);
        }
        int status = 0;
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                  "operation %llu of %llu: not killed (status %d)", (unsigned long long)n,
                  (unsigned long long)total, status);
        char *now = st_state_dir_over(dir, days, &err);
        cr_assert_not_null(now, "killed at operation %llu: %s", (unsigned long long)n, err.message);
        const bool is_old = strcmp(now, state_full) == 0, is_new = strcmp(now, state_cut) == 0;
        cr_assert(is_old || is_new, "killed at operation %llu of %llu: neither old nor new",
                  (unsigned long long)n, (unsigned long long)total);
        saw_old += is_old;
        saw_new += is_new;
        free(now);
        cr_assert_eq(retain_all(dir, &err), COLSTORE_OK, "re-run after %llu: %s",
                     (unsigned long long)n, err.message);
        now = st_state_dir_over(dir, days, &err);
        cr_assert_not_null(now, "%s", err.message);
        cr_assert_str_eq(now, state_cut, "re-run after a kill at %llu differs",
                         (unsigned long long)n);
        free(now);
    }
    cr_log_info("retain kill sweep: %llu operations, every one killed: %u old, %u new, every "
                "re-run equal to an uninterrupted retention",
                (unsigned long long)total, saw_old, saw_new);
    cr_assert(saw_old > 0 && saw_new > 0);
}

static void sweep_faults(bool sticky)
{
    char dir[4200];
    colstore_error err;
    fresh(dir, "full");
    cs_sio_fault_arm(0, 0, 0, false);
    cr_assert_eq(retain_all(dir, &err), COLSTORE_OK, "%s", err.message);
    uint64_t n[CS_SIO_NOPS];
    for (int k = 0; k < CS_SIO_NOPS; k++)
        n[k] = cs_sio_fault_count(k);
    unsigned runs = 0, failed = 0, visible = 0;
    for (int k = 0; k < CS_SIO_NOPS; k++) {
        for (uint64_t i = 1; i <= n[k]; i++) {
            fresh(dir, "full");
            const int error = i % 2 ? EIO : ENOSPC;
            cs_sio_fault_arm(k, i, error, sticky);
            const int rc = retain_all(dir, &err);
            const uint64_t fired = cs_sio_fault_fired();
            cs_sio_fault_arm(0, 0, 0, false);
            runs++;
            cr_assert(fired > 0, "%s #%llu did not fire", cs_sio_op_name(k), (unsigned long long)i);
            colstore_error e2;
            char *now = st_state_dir_over(dir, days, &e2);
            cr_assert_not_null(now, "%s #%llu (%s): does not open or verify: %s", cs_sio_op_name(k),
                               (unsigned long long)i, err.message, e2.message);
            if (rc == COLSTORE_OK) {
                cr_assert_str_eq(now, state_cut, "%s #%llu: success, not the new state",
                                 cs_sio_op_name(k), (unsigned long long)i);
            } else {
                failed++;
                cr_assert_eq(rc, COLSTORE_EIO, "%s #%llu: %s", cs_sio_op_name(k),
                             (unsigned long long)i, err.message);
                cr_assert(strstr(err.message, strerror(error)) != NULL, "unclear: %s", err.message);
                const bool vis = strstr(err.message, "is visible but may not be durable") != NULL;
                visible += vis;
                cr_assert_str_eq(now, vis ? state_cut : state_full, "%s #%llu: %s",
                                 cs_sio_op_name(k), (unsigned long long)i, err.message);
                free(now);
                cr_assert_eq(retain_all(dir, &err), COLSTORE_OK, "re-run: %s", err.message);
                now = st_state_dir_over(dir, days, &e2);
                cr_assert_not_null(now, "%s", e2.message);
                cr_assert_str_eq(now, state_cut, "%s #%llu: re-run differs", cs_sio_op_name(k),
                                 (unsigned long long)i);
            }
            free(now);
        }
        cr_log_info("retain, %s faults: %s %llu", sticky ? "sticky" : "single", cs_sio_op_name(k),
                    (unsigned long long)n[k]);
    }
    cr_log_info("retain: %u runs, %u failed cleanly, %u visible but not durable", runs, failed,
                visible);
    cr_assert(n[CS_SIO_WRITE] > 0 && n[CS_SIO_FSYNC] > 0 && n[CS_SIO_RENAME] > 0);
    cr_assert(failed > 0);
}

Test(retain_faults, every_operation_fails_once, .init = setup, .fini = teardown, .timeout = 1200)
{
    sweep_faults(false);
}

Test(retain_faults,
     every_operation_fails_from_then_on,
     .init = setup,
     .fini = teardown,
     .timeout = 1200)
{
    sweep_faults(true);
}
