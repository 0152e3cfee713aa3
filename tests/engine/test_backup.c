/*
 * backup_*: colstore_backup() writes one snapshot as a store of its own. The copy opens,
 * verifies and answers (every dump and report) as the snapshot did, also when loads commit
 * while it is taken; data files are hard-linked on the same file system, copied with
 * opts.copy; a destination that is not new or empty, a symlink or inside the store is refused
 * and left untouched; an I/O error at any operation fails cleanly, leaves the store as it was
 * and no store (no CURRENT) at the destination, and a re-run succeeds.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "storage/store_io.h"
#include "tests/engine/state.h"

#define LOAD_TS 1740787200000000
#define CHUNKS  6

static char *base;
static char *states[CHUNKS + 1]; /* the state after the base load and after each chunk */
/* The store's version after the base load ([0]) and after each chunk's load: a load's commit
 * and, when the automatic compaction's thresholds are met, the compaction's commit after it
 * (the same state). The loads during the backups commit the same versions (same data, same
 * order, same policy), so versions (ends[k - 1], ends[k]] hold states[k]. */
static uint64_t ends[CHUNKS + 1];
static uint64_t base_version;
static const struct st_days days = {"2025-03-01", "2025-03-20", 19, 2025};

static void load_file(colstore_store *st, const char *table, const char *path)
{
    colstore_error err;
    colstore_load_options o = COLSTORE_LOAD_OPTIONS_INIT;
    o.format = COLSTORE_FORMAT_TEXT;
    o.load_time_us = LOAD_TS;
    cr_assert_eq(colstore_load_path(st, table, path, &o, NULL, &err), COLSTORE_OK, "%s: %s", table,
                 err.message);
}

static uint64_t version_of(colstore_store *st)
{
    colstore_snapshot *s = NULL;
    colstore_error err;
    cr_assert_eq(colstore_snapshot_open(st, &s, &err), COLSTORE_OK, "%s", err.message);
    const uint64_t v = colstore_snapshot_version(s);
    colstore_snapshot_close(s);
    return v;
}

static void chunk_path(char out[4200], int i)
{
    (void)snprintf(out, 4200, "%s/gen/chunk%d.copy", base, i);
}

/* base/src: every table but fact_agent_query, whose export is cut in CHUNKS chunks by day;
 * states[i] is the state with i chunks loaded (one load each), ends[i] the version then. */
static void setup(void)
{
    char tmpl[] = "/tmp/cs-backup-XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    base = strdup(tmpl);
    char cmd[9000];
    (void)snprintf(cmd, sizeof(cmd),
                   "'%s/tools/colgen' --out '%s/gen' --rows 3000 --seed 7 --start 2025-03-01 "
                   "--days 20 --format text >/dev/null",
                   CS_BINARY_DIR, base);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    for (int i = 0; i < CHUNKS; i++) {
        char path[4200];
        chunk_path(path, i);
        (void)snprintf(
            cmd, sizeof(cmd),
            "awk -F'\\t' '(substr($3, 7, 2) + 0) %% %d == %d' '%s/gen/fact_agent_query.copy' "
            "> '%s'",
            CHUNKS, i, base, path);
        cr_assert_eq(system(cmd), 0, "%s", cmd);
    }
    char dir[4200], path[4200];
    (void)snprintf(dir, sizeof(dir), "%s/src", base);
    colstore_store *st = NULL;
    colstore_error err;
    cr_assert_eq(colstore_open(dir, COLSTORE_WRITABLE | COLSTORE_CREATE, &st, &err), COLSTORE_OK);
    const char *tables[] = {"dim_agent", "dim_time",      "dim_conversation",
                            "dim_user",  "fact_approval", "fact_training"};
    for (int i = 0; i < 6; i++) {
        (void)snprintf(path, sizeof(path), "%s/gen/%s.copy", base, tables[i]);
        load_file(st, tables[i], path);
    }
    base_version = ends[0] = version_of(st);
    states[0] = st_state_over(st, days, &err);
    cr_assert_not_null(states[0], "%s", err.message);
    /* the states after each chunk, on a copy */
    char seq[4200];
    (void)snprintf(seq, sizeof(seq), "%s/seq", base);
    colstore_close(st);
    cr_assert_eq(st_copy_dir(dir, seq), 0);
    cr_assert_eq(colstore_open(seq, COLSTORE_WRITABLE, &st, &err), COLSTORE_OK);
    for (int i = 0; i < CHUNKS; i++) {
        chunk_path(path, i);
        load_file(st, "fact_agent_query", path);
        states[i + 1] = st_state_over(st, days, &err);
        cr_assert_not_null(states[i + 1], "%s", err.message);
        cr_assert(strcmp(states[i + 1], states[i]) != 0);
        ends[i + 1] = version_of(st);
        cr_assert_gt(ends[i + 1], ends[i]);
    }
    colstore_close(st);
}

static void teardown(void)
{
    cs_sio_fault_arm(0, 0, 0, false);
    st_rmrf(base);
    free(base);
    for (int i = 0; i <= CHUNKS; i++)
        free(states[i]);
}

static int backup_dir(const char *src, const char *dest, bool copy, colstore_error *err)
{
    colstore_store *st = NULL;
    int rc = colstore_open(src, COLSTORE_READ_ONLY, &st, err);
    if (rc != COLSTORE_OK) return rc;
    colstore_snapshot *s = NULL;
    rc = colstore_snapshot_open(st, &s, err);
    colstore_backup_options o = COLSTORE_BACKUP_OPTIONS_INIT;
    o.copy = copy;
    if (rc == COLSTORE_OK) rc = colstore_backup(s, dest, &o, NULL, err);
    colstore_snapshot_close(s);
    colstore_close(st);
    return rc;
}

static void same_inode(const char *a, const char *b, bool expect_same)
{
    struct stat x, y;
    cr_assert_eq(lstat(a, &x), 0, "%s", a);
    cr_assert_eq(lstat(b, &y), 0, "%s", b);
    cr_assert_eq(x.st_ino == y.st_ino && x.st_dev == y.st_dev, expect_same, "%s vs %s", a, b);
}

Test(backup,
     the_copy_opens_verifies_and_answers_as_the_snapshot,
     .init = setup,
     .fini = teardown,
     .timeout = 300)
{
    char src[4200], dest[4200], dest2[4200], a[4300], b[4300];
    (void)snprintf(src, sizeof(src), "%s/src", base);
    (void)snprintf(dest, sizeof(dest), "%s/bk", base);
    (void)snprintf(dest2, sizeof(dest2), "%s/bk-copied", base);
    colstore_error err;
    colstore_store *st = NULL;
    cr_assert_eq(colstore_open(src, COLSTORE_READ_ONLY, &st, &err), COLSTORE_OK);
    colstore_snapshot *s = NULL;
    cr_assert_eq(colstore_snapshot_open(st, &s, &err), COLSTORE_OK);
    colstore_backup_stats bs = COLSTORE_BACKUP_STATS_INIT;
    cr_assert_eq(colstore_backup(s, dest, NULL, &bs, &err), COLSTORE_OK, "%s", err.message);
    cr_assert_eq(bs.version, base_version);
    cr_assert(bs.files > 0 && bs.linked == bs.files && bs.copied == 0);
    colstore_backup_options o = COLSTORE_BACKUP_OPTIONS_INIT;
    o.copy = true;
    cr_assert_eq(colstore_backup(s, dest2, &o, &bs, &err), COLSTORE_OK, "%s", err.message);
    cr_assert(bs.copied == bs.files && bs.linked == 0);
    colstore_snapshot_close(s);
    colstore_close(st);
    char *got = st_state_dir_over(dest, days, &err);
    cr_assert_not_null(got, "%s", err.message);
    cr_assert_str_eq(got, states[0]);
    free(got);
    got = st_state_dir_over(dest2, days, &err);
    cr_assert_not_null(got, "%s", err.message);
    cr_assert_str_eq(got, states[0]);
    free(got);
    (void)snprintf(a, sizeof(a), "%s/data/000000000001.cseg", src);
    (void)snprintf(b, sizeof(b), "%s/data/000000000001.cseg", dest);
    same_inode(a, b, true);
    (void)snprintf(b, sizeof(b), "%s/data/000000000001.cseg", dest2);
    same_inode(a, b, false);
    /* the copy is a store of its own: it takes loads, the source does not change */
    char path[4200];
    chunk_path(path, 0);
    cr_assert_eq(colstore_open(dest2, COLSTORE_WRITABLE, &st, &err), COLSTORE_OK);
    load_file(st, "fact_agent_query", path);
    colstore_close(st);
    got = st_state_dir_over(src, days, &err);
    cr_assert_str_eq(got, states[0]);
    free(got);
}

struct loader {
    const char *dir;
    atomic_int done;
    int rc;
    colstore_error err;
};

static void *load_chunks(void *arg)
{
    struct loader *ld = arg;
    colstore_store *st = NULL;
    ld->rc = colstore_open(ld->dir, COLSTORE_WRITABLE, &st, &ld->err);
    for (int i = 0; i < CHUNKS && ld->rc == COLSTORE_OK; i++) {
        char path[4200];
        chunk_path(path, i);
        colstore_load_options o = COLSTORE_LOAD_OPTIONS_INIT;
        o.format = COLSTORE_FORMAT_TEXT;
        o.load_time_us = LOAD_TS;
        /* no retry: the backup takes no lock, and the writer lock ends with each commit even
         * while the main thread's system() has a child forked (test_store.c) */
        ld->rc = colstore_load_path(st, "fact_agent_query", path, &o, NULL, &ld->err);
    }
    colstore_close(st);
    atomic_store(&ld->done, 1);
    return NULL;
}

Test(backup, taken_while_loads_commit, .init = setup, .fini = teardown, .timeout = 600)
{
    char src[4200];
    (void)snprintf(src, sizeof(src), "%s/src", base);
    colstore_store *st = NULL;
    colstore_error err;
    cr_assert_eq(colstore_open(src, COLSTORE_READ_ONLY, &st, &err), COLSTORE_OK);
    struct loader ld = {.dir = src};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, load_chunks, &ld), 0);
    unsigned taken = 0, versions_seen = 0;
    uint64_t last = UINT64_MAX;
    for (int n = 0; n < 200 && (!atomic_load(&ld.done) || taken < 2); n++) {
        char dest[4200];
        (void)snprintf(dest, sizeof(dest), "%s/during-%d", base, n);
        colstore_snapshot *s = NULL;
        cr_assert_eq(colstore_snapshot_open(st, &s, &err), COLSTORE_OK);
        colstore_backup_stats bs = COLSTORE_BACKUP_STATS_INIT;
        cr_assert_eq(colstore_backup(s, dest, NULL, &bs, &err), COLSTORE_OK, "%s", err.message);
        colstore_snapshot_close(s);
        cr_assert(bs.version >= base_version && bs.version <= ends[CHUNKS], "%llu",
                  (unsigned long long)bs.version);
        int k = 0;
        while (ends[k] < bs.version)
            k++;
        char *got = st_state_dir_over(dest, days, &err);
        cr_assert_not_null(got, "backup %d: %s", n, err.message);
        cr_assert_str_eq(got, states[k], "backup of commit %llu differs from that commit",
                         (unsigned long long)bs.version);
        free(got);
        st_rmrf(dest);
        taken++;
        versions_seen += bs.version != last;
        last = bs.version;
    }
    pthread_join(th, NULL);
    cr_assert_eq(ld.rc, COLSTORE_OK, "%s", ld.err.message);
    colstore_close(st);
    cr_log_info("backups during loads: %u taken, %u distinct commits", taken, versions_seen);
    cr_assert(taken >= 2);
}

Test(backup,
     a_destination_not_ours_is_refused_untouched,
     .init = setup,
     .fini = teardown,
     .timeout = 300)
{
    char src[4200], d[4300], f[4400];
    (void)snprintf(src, sizeof(src), "%s/src", base);
    colstore_error err;
    /* not empty */
    (void)snprintf(d, sizeof(d), "%s/full", base);
    cr_assert_eq(mkdir(d, 0755), 0);
    (void)snprintf(f, sizeof(f), "%s/precious", d);
    FILE *fp = fopen(f, "w");
    fputs("precious\n", fp);
    fclose(fp);
    cr_assert_eq(backup_dir(src, d, false, &err), COLSTORE_EINVAL);
    cr_assert(strstr(err.message, "is not empty") != NULL, "%s", err.message);
    /* a symlink to an empty directory */
    char target[4300], link[4300];
    (void)snprintf(target, sizeof(target), "%s/target", base);
    (void)snprintf(link, sizeof(link), "%s/link", base);
    cr_assert_eq(mkdir(target, 0755), 0);
    cr_assert_eq(symlink(target, link), 0);
    cr_assert_eq(backup_dir(src, link, false, &err), COLSTORE_EINVAL);
    cr_assert(strstr(err.message, "symlink") != NULL, "%s", err.message);
    /* a file */
    cr_assert_eq(backup_dir(src, f, false, &err), COLSTORE_EINVAL);
    /* inside the store, and the store itself */
    (void)snprintf(d, sizeof(d), "%s/src/backup", base);
    cr_assert_eq(backup_dir(src, d, false, &err), COLSTORE_EINVAL);
    cr_assert(strstr(err.message, "inside the store") != NULL, "%s", err.message);
    cr_assert_neq(access(d, F_OK), 0, "a directory was left inside the store");
    cr_assert_eq(backup_dir(src, src, false, &err), COLSTORE_EINVAL);
    /* a missing parent */
    (void)snprintf(d, sizeof(d), "%s/no/such/dir", base);
    cr_assert_eq(backup_dir(src, d, false, &err), COLSTORE_EIO);
    /* untouched */
    fp = fopen(f, "r");
    char line[64] = "";
    cr_assert_not_null(fgets(line, sizeof(line), fp));
    fclose(fp);
    cr_assert_str_eq(line, "precious\n");
    char cmd[9000];
    (void)snprintf(cmd, sizeof(cmd),
                   "test -z \"$(ls -A '%s')\" && test \"$(ls -A '%s/full')\" = precious", target,
                   base);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    char *got = st_state_dir_over(src, days, &err);
    cr_assert_str_eq(got, states[0]);
    free(got);
    /* an empty directory is fine */
    cr_assert_eq(backup_dir(src, target, false, &err), COLSTORE_OK, "%s", err.message);
    got = st_state_dir_over(target, days, &err);
    cr_assert_not_null(got, "%s", err.message);
    cr_assert_str_eq(got, states[0]);
    free(got);
}

static void sweep(bool copy)
{
    char src[4200], dest[4200];
    (void)snprintf(src, sizeof(src), "%s/src", base);
    (void)snprintf(dest, sizeof(dest), "%s/faulted", base);
    colstore_error err;
    cs_sio_fault_arm(0, 0, 0, false);
    cr_assert_eq(backup_dir(src, dest, copy, &err), COLSTORE_OK, "%s", err.message);
    uint64_t n[CS_SIO_NOPS];
    for (int k = 0; k < CS_SIO_NOPS; k++)
        n[k] = cs_sio_fault_count(k);
    unsigned runs = 0, failed = 0;
    for (int k = 0; k < CS_SIO_NOPS; k++) {
        for (uint64_t i = 1; i <= n[k]; i++) {
            st_rmrf(dest);
            const int error = i % 2 ? EIO : ENOSPC;
            cs_sio_fault_arm(k, i, error, false);
            const int rc = backup_dir(src, dest, copy, &err);
            const uint64_t fired = cs_sio_fault_fired();
            cs_sio_fault_arm(0, 0, 0, false);
            runs++;
            cr_assert(fired > 0, "%s #%llu did not fire", cs_sio_op_name(k), (unsigned long long)i);
            if (rc != COLSTORE_OK) {
                failed++;
                cr_assert(rc == COLSTORE_EIO && strstr(err.message, strerror(error)) != NULL,
                          "%s #%llu: %d %s", cs_sio_op_name(k), (unsigned long long)i, rc,
                          err.message);
                /* nothing of ours left behind: no store at dest */
                char cur[4300];
                (void)snprintf(cur, sizeof(cur), "%s/CURRENT", dest);
                cr_assert_neq(access(cur, F_OK), 0, "%s #%llu: a CURRENT was left",
                              cs_sio_op_name(k), (unsigned long long)i);
                st_rmrf(dest);
                cr_assert_eq(backup_dir(src, dest, copy, &err), COLSTORE_OK, "re-run: %s",
                             err.message);
            }
            char *got = st_state_dir_over(dest, days, &err);
            cr_assert_not_null(got, "%s #%llu: %s", cs_sio_op_name(k), (unsigned long long)i,
                               err.message);
            cr_assert_str_eq(got, states[0]);
            free(got);
            got = st_state_dir_over(src, days, &err);
            cr_assert_str_eq(got, states[0], "the store changed");
            free(got);
        }
    }
    cr_log_info("backup (%s) faults: %u runs, %u failed cleanly; open %llu, read %llu, write "
                "%llu, fsync %llu, rename/link %llu",
                copy ? "copy" : "link", runs, failed, (unsigned long long)n[CS_SIO_OPEN],
                (unsigned long long)n[CS_SIO_READ], (unsigned long long)n[CS_SIO_WRITE],
                (unsigned long long)n[CS_SIO_FSYNC], (unsigned long long)n[CS_SIO_RENAME]);
    cr_assert(failed > 0 && n[CS_SIO_FSYNC] > 0 && n[CS_SIO_RENAME] > 0);
}

Test(backup, every_operation_fails_once_linked, .init = setup, .fini = teardown, .timeout = 600)
{
    sweep(false);
}

Test(backup, every_operation_fails_once_copied, .init = setup, .fini = teardown, .timeout = 600)
{
    sweep(true);
}

/* The source store's directory as `find` lists it: names, types, sizes, inodes, modification
 * times (not link counts: a linked backup adds links to the store's data files). */
static char *listing(const char *dir)
{
    char cmd[4400];
    (void)snprintf(cmd, sizeof(cmd),
                   "cd '%s' && find . -printf '%%p %%y %%s %%i %%T@\\n' | LC_ALL=C sort", dir);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    for (int ch; (ch = fgetc(p)) != EOF;)
        fputc(ch, m);
    fclose(m);
    cr_assert_eq(pclose(p), 0, "%s", cmd);
    return buf;
}

/* `colquery --store src backup dest [--copy]` with COLSTORE_FAULT=any:n:KILL; the wait status. */
static int colquery_backup_killed_at(const char *src, const char *dest, bool copy, uint64_t n)
{
    extern char **environ;
    size_t ne = 0;
    while (environ[ne] != NULL)
        ne++;
    char **envp = calloc(ne + 2, sizeof(*envp));
    cr_assert_not_null(envp);
    char fault[64];
    (void)snprintf(fault, sizeof(fault), "COLSTORE_FAULT=any:%llu:KILL", (unsigned long long)n);
    size_t k = 0;
    for (size_t i = 0; i < ne; i++)
        if (strncmp(environ[i], "COLSTORE_FAULT=", 15) != 0) envp[k++] = environ[i];
    envp[k++] = fault;
    char exe[4200];
    (void)snprintf(exe, sizeof(exe), "%s/tools/colquery", CS_BINARY_DIR);
    const pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        const int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            (void)dup2(null, 1);
            (void)dup2(null, 2);
        }
        if (copy)
            execle(exe, exe, "--store", src, "backup", dest, "--copy", (char *)NULL, envp);
        else
            execle(exe, exe, "--store", src, "backup", dest, (char *)NULL, envp);
        _exit(127);
    }
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    free(envp);
    return status;
}

/* colquery backup SIGKILLed at each of its store operations in turn, until one run outlives the
 * count: the store is untouched (the same listing, verifies, the same state) and the destination
 * is either no store at all (no CURRENT, does not open) or the whole snapshot (opens, verifies,
 * the same state): never a store that opens with data missing. A re-run into what a kill left
 * is refused ("not empty") without making a store there, or, where the kill left an empty
 * directory, gives the whole snapshot. */
static void kill_sweep(bool copy)
{
    char src[4200], dest[4200], cur[4300];
    (void)snprintf(src, sizeof(src), "%s/src", base);
    (void)snprintf(dest, sizeof(dest), "%s/killed", base);
    (void)snprintf(cur, sizeof(cur), "%s/CURRENT", dest);
    char *before = listing(src);
    colstore_error err;
    unsigned none = 0, whole = 0, refused = 0, redone = 0;
    uint64_t n = 1;
    for (;; n++) {
        cr_assert(n < 10000, "colquery backup was still killed at operation %llu",
                  (unsigned long long)n);
        st_rmrf(dest);
        const int status = colquery_backup_killed_at(src, dest, copy, n);
        char *now = listing(src);
        cr_assert_str_eq(now, before, "killed at operation %llu: the store's files changed",
                         (unsigned long long)n);
        free(now);
        char *got = st_state_dir_over(src, days, &err);
        cr_assert_not_null(got, "killed at operation %llu: the store: %s", (unsigned long long)n,
                           err.message);
        cr_assert_str_eq(got, states[0], "killed at operation %llu: the store answers otherwise",
                         (unsigned long long)n);
        free(got);
        if (WIFEXITED(status)) { /* the run outlived the count: every operation was swept */
            cr_assert_eq(WEXITSTATUS(status), 0, "unfaulted colquery backup exited %d",
                         WEXITSTATUS(status));
            got = st_state_dir_over(dest, days, &err);
            cr_assert_not_null(got, "%s", err.message);
            cr_assert_str_eq(got, states[0]);
            free(got);
            break;
        }
        cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                  "operation %llu: not killed (status %d)", (unsigned long long)n, status);
        got = st_state_dir_over(dest, days, &err);
        if (got != NULL) {
            cr_assert_str_eq(got, states[0],
                             "killed at operation %llu: the backup opens but differs",
                             (unsigned long long)n);
            whole++;
        } else {
            cr_assert_neq(access(cur, F_OK), 0,
                          "killed at operation %llu: a CURRENT but no store: %s",
                          (unsigned long long)n, err.message);
            none++;
        }
        free(got);
        if (got != NULL) continue;
        const int rc = backup_dir(src, dest, copy, &err);
        if (rc == COLSTORE_OK) {
            got = st_state_dir_over(dest, days, &err);
            cr_assert_not_null(got, "%s", err.message);
            cr_assert_str_eq(got, states[0]);
            free(got);
            redone++;
        } else {
            cr_assert(rc == COLSTORE_EINVAL && strstr(err.message, "is not empty") != NULL,
                      "re-run after a kill at %llu: %d %s", (unsigned long long)n, rc, err.message);
            cr_assert_neq(access(cur, F_OK), 0);
            refused++;
        }
    }
    free(before);
    cr_log_info("colquery backup%s: %llu store operations, killed at each: %u left no store, %u "
                "the whole snapshot; re-runs: %u refused (not empty), %u complete",
                copy ? " --copy" : "", (unsigned long long)(n - 1), none, whole, refused, redone);
    cr_assert(n > 10 && none > 0);
}

Test(backup, sigkill_at_every_operation_linked, .init = setup, .fini = teardown, .timeout = 900)
{
    kill_sweep(false);
}

Test(backup, sigkill_at_every_operation_copied, .init = setup, .fini = teardown, .timeout = 900)
{
    kill_sweep(true);
}

/* The names in store/data now, saved to file list. */
static void save_data_files(const char *store, const char *list)
{
    char cmd[9000];
    (void)snprintf(cmd, sizeof(cmd), "ls '%s/data' | LC_ALL=C sort > '%s'", store, list);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* How many names of file list are no longer in store/data. */
static unsigned long gone_since(const char *store, const char *list)
{
    char cmd[9000];
    (void)snprintf(cmd, sizeof(cmd), "ls '%s/data' | LC_ALL=C sort | comm -23 '%s' - | wc -l",
                   store, list);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    unsigned long n = 0;
    cr_assert_eq(fscanf(p, "%lu", &n), 1);
    cr_assert_eq(pclose(p), 0, "%s", cmd);
    return n;
}

/* A snapshot backed up after commits that deleted files it names: fact_agent_query loaded as
 * five commits of four days each, a snapshot opened, then retention drops the first eight days
 * (their two files are dead for the newest version but pinned by the snapshot). The backup of
 * the old snapshot is still that snapshot, whole; once it is closed, a commit frees the files. */
Test(backup,
     of_a_snapshot_whose_files_later_commits_dropped,
     .init = setup,
     .fini = teardown,
     .timeout = 600)
{
    char src[4200], dir[4200], dest[4200], path[4200], cmd[9000];
    (void)snprintf(src, sizeof(src), "%s/src", base);
    (void)snprintf(dir, sizeof(dir), "%s/ranges", base);
    (void)snprintf(dest, sizeof(dest), "%s/bk-old", base);
    cr_assert_eq(st_copy_dir(src, dir), 0);
    colstore_error err;
    colstore_store *st = NULL;
    /* no automatic compaction: which files a commit frees stays this test's choice */
    cr_assert_eq(colstore_open(dir, COLSTORE_WRITABLE | COLSTORE_NO_AUTO_COMPACT, &st, &err),
                 COLSTORE_OK);
    for (int i = 0; i < 5; i++) {
        (void)snprintf(path, sizeof(path), "%s/gen/range%d.copy", base, i);
        (void)snprintf(cmd, sizeof(cmd),
                       "awk -F'\\t' '$3 >= %d && $3 < %d' '%s/gen/fact_agent_query.copy' > '%s'",
                       20250301 + 4 * i, 20250305 + 4 * i, base, path);
        cr_assert_eq(system(cmd), 0, "%s", cmd);
        load_file(st, "fact_agent_query", path);
    }
    char *old_state = st_state_over(st, days, &err);
    cr_assert_not_null(old_state, "%s", err.message);
    colstore_store *reader = NULL;
    cr_assert_eq(colstore_open(dir, COLSTORE_READ_ONLY, &reader, &err), COLSTORE_OK);
    colstore_snapshot *s = NULL;
    cr_assert_eq(colstore_snapshot_open(reader, &s, &err), COLSTORE_OK);
    char pinned[4300];
    (void)snprintf(pinned, sizeof(pinned), "%s/pinned-files", base);
    save_data_files(dir, pinned);
    colstore_retain_options ro = COLSTORE_RETAIN_OPTIONS_INIT;
    ro.before = "2025-03-09";
    cr_assert_eq(colstore_retain(st, &ro, NULL, &err), COLSTORE_OK, "%s", err.message);
    char *new_state = st_state_over(st, days, &err);
    cr_assert_not_null(new_state, "%s", err.message);
    cr_assert(strcmp(new_state, old_state) != 0);
    cr_assert_eq(gone_since(dir, pinned), 0, "a file the snapshot names was deleted");
    for (int copy = 1; copy >= 0; copy--) { /* copied, then linked (kept below) */
        colstore_backup_options o = COLSTORE_BACKUP_OPTIONS_INIT;
        o.copy = copy;
        st_rmrf(dest);
        cr_assert_eq(colstore_backup(s, dest, &o, NULL, &err), COLSTORE_OK, "%s", err.message);
        char *got = st_state_dir_over(dest, days, &err);
        cr_assert_not_null(got, "%s", err.message);
        cr_assert_str_eq(got, old_state, "the backup is not the snapshot it copied");
        free(got);
    }
    colstore_snapshot_close(s);
    colstore_close(reader);
    /* unpinned: a commit (here a retention with nothing to drop) frees the two files */
    cr_assert_eq(colstore_retain(st, &ro, NULL, &err), COLSTORE_OK, "%s", err.message);
    const unsigned long freed = gone_since(dir, pinned);
    cr_assert_geq(freed, 2, "%lu of the snapshot's files freed after it closed", freed);
    colstore_close(st);
    /* the linked backup kept its own names of the dropped files */
    char *got = st_state_dir_over(dest, days, &err);
    cr_assert_not_null(got, "%s", err.message);
    cr_assert_str_eq(got, old_state);
    free(got);
    free(old_state);
    free(new_state);
}
