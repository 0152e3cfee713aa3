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
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
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
        /* a load can meet the writer lock held a moment (seen once under ASan; not the
         * backup's: it takes no lock): retry a while */
        for (int t = 0; t < 200; t++) {
            ld->rc = colstore_load_path(st, "fact_agent_query", path, &o, NULL, &ld->err);
            if (ld->rc != COLSTORE_EBUSY) break;
            usleep(10000);
        }
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
