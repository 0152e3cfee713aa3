/*
 * safety_*: a store never loses data and never writes outside itself (issue 10, defects 1, 2,
 * 5 and 11):
 * - a directory whose CURRENT is missing while manifests or data files remain is a damaged
 *   store: open fails with CS_ECORRUPT, says how to recover, and deletes nothing;
 * - a store is created only in a new or empty directory (or over what an interrupted
 *   creation left); a non-empty directory that is not a store is refused, untouched;
 * - cleanup deletes only the engine's own names;
 * - files are created with O_EXCL | O_NOFOLLOW through the store's directory descriptor: a
 *   symlink planted (or raced in) as CURRENT.tmp, the next MANIFEST, the next data file or
 *   LOCK makes the commit fail and never writes through it;
 * - a symlink, a FIFO or a directory in place of a store file is CS_ECORRUPT, without
 *   blocking (each test runs under an alarm).
 */
#include "tests/storage/store_fixture.h"

#include <errno.h>
#include <signal.h>

#include "storage/store_int.h"

static char *dir, *outside;

static void setup(void)
{
    dir = fx_tmpdir();
    outside = fx_tmpdir();
    alarm(60); /* a blocking open fails the test instead of hanging it */
}

static void teardown(void)
{
    alarm(0);
    cs_store_test_hook = NULL;
    fx_rmrf(dir);
    fx_rmrf(outside);
    free(dir);
    free(outside);
}

static void pathf(char *buf, const char *base, const char *name)
{
    (void)snprintf(buf, 4096, "%s/%s", base, name);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
}

static bool exists(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0;
}

/* A listing of a directory tree with sizes: what "nothing changed" compares. */
static void listing(const char *base, char *out, size_t cap)
{
    char cmd[4200];
    (void)snprintf(cmd, sizeof(cmd), "cd '%s' && find . -printf '%%p %%y %%s\\n' | sort", base);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    const size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    pclose(p);
}

/* A store at version 2: day 1 and day 2 of fact_approval (two data files). */
static void make_store(void)
{
    struct cs_store *st = NULL;
    struct cs_txn *txn = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(dir, CS_OPEN_WRITE | CS_OPEN_CREATE, &st, &err), CS_OK, "%s",
                 err.message);
    for (int v = 1; v <= 2; v++) {
        cr_assert_eq(cs_txn_begin(st, &txn, &err), CS_OK, "%s", err.message);
        fx_put(txn, CS_T_FACT_APPROVAL, 20240100 + v, 50, NULLS_SOME, (uint32_t)v);
        cr_assert_eq(cs_txn_commit(txn, &err), CS_OK, "%s", err.message);
    }
    cs_store_close(st);
}

/* The store opens at version 2, verifies, and holds both days. */
static void assert_store_v2(void)
{
    struct cs_store *st = NULL;
    struct cs_snap *snap = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(dir, CS_OPEN_READ, &st, &err), CS_OK, "%s", err.message);
    cr_assert_eq(cs_store_verify(st, NULL, NULL, &err), CS_OK, "%s", err.message);
    cr_assert_eq(cs_snap_open(st, &snap, &err), CS_OK, "%s", err.message);
    cr_assert_eq(cs_snap_version(snap), 2);
    fx_check_part(snap, CS_T_FACT_APPROVAL, 20240101, 50, NULLS_SOME, 1);
    fx_check_part(snap, CS_T_FACT_APPROVAL, 20240102, 50, NULLS_SOME, 2);
    cs_snap_close(snap);
    cs_store_close(st);
}

/* --------------------------------------------------------------- defect 1: lost CURRENT */

Test(safety, missing_current_is_damage_and_nothing_is_deleted, .init = setup, .fini = teardown)
{
    make_store();
    char path[4096], before[16384], after[16384];
    pathf(path, dir, "CURRENT");
    cr_assert_eq(unlink(path), 0);
    listing(dir, before, sizeof(before));
    struct cs_store *st = NULL;
    struct cs_error err = {0};
    for (int i = 0; i < 3; i++) { /* a writer, a creator and a reader alike */
        const unsigned flags[] = {CS_OPEN_WRITE | CS_OPEN_CREATE, CS_OPEN_WRITE, CS_OPEN_READ};
        cr_assert_eq(cs_store_open(dir, flags[i], &st, &err), CS_ECORRUPT, "%s", err.message);
        cr_assert_null(st);
        cr_assert(strstr(err.message, "damaged store") != NULL, "%s", err.message);
        cr_assert(strstr(err.message, "MANIFEST-000000000002") != NULL,
                  "names the newest manifest: %s", err.message);
        cr_assert(strstr(err.message, "To recover") != NULL, "%s", err.message);
    }
    listing(dir, after, sizeof(after));
    cr_assert_str_eq(after, before, "the directory changed");
    /* The recovery the message describes works. */
    write_text(path, "MANIFEST-000000000002\n");
    assert_store_v2();
}

Test(safety, data_file_without_current_or_manifest_is_damage, .init = setup, .fini = teardown)
{
    make_store();
    char path[4096];
    for (int v = 0; v <= 2; v++) {
        char name[64];
        (void)snprintf(name, sizeof(name), "MANIFEST-%012d", v);
        pathf(path, dir, name);
        (void)unlink(path);
    }
    pathf(path, dir, "CURRENT");
    cr_assert_eq(unlink(path), 0);
    struct cs_store *st = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(dir, CS_OPEN_WRITE | CS_OPEN_CREATE, &st, &err), CS_ECORRUPT, "%s",
                 err.message);
    cr_assert(strstr(err.message, "data/00000000000") != NULL, "%s", err.message);
    pathf(path, dir, "data/000000000001.cseg");
    cr_assert(exists(path));
    pathf(path, dir, "data/000000000002.cseg");
    cr_assert(exists(path));
}

/* --------------------------------------------------------------- defect 2: foreign dirs */

Test(safety, non_empty_directory_is_not_made_a_store, .init = setup, .fini = teardown)
{
    char path[4096], before[16384], after[16384];
    pathf(path, dir, "draft.tmp");
    write_text(path, "the user's work\n");
    pathf(path, dir, "notes.txt");
    write_text(path, "more\n");
    listing(dir, before, sizeof(before));
    struct cs_store *st = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(dir, CS_OPEN_WRITE | CS_OPEN_CREATE, &st, &err), CS_EINVAL, "%s",
                 err.message);
    cr_assert(strstr(err.message, "not a colstore store and not empty") != NULL, "%s", err.message);
    cr_assert_eq(cs_store_open(dir, CS_OPEN_READ, &st, &err), CS_ECORRUPT, "%s", err.message);
    listing(dir, after, sizeof(after));
    cr_assert_str_eq(after, before);
}

Test(safety, a_store_is_created_in_an_empty_or_new_directory, .init = setup, .fini = teardown)
{
    struct cs_store *st = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(dir, CS_OPEN_WRITE | CS_OPEN_CREATE, &st, &err), CS_OK, "%s",
                 err.message);
    cs_store_close(st);
    char sub[4096];
    pathf(sub, outside, "new/"); /* a trailing slash, a directory that does not exist */
    cr_assert_eq(cs_store_open(sub, CS_OPEN_WRITE | CS_OPEN_CREATE, &st, &err), CS_OK, "%s",
                 err.message);
    cs_store_close(st);
}

/* What cs_store_create_empty() leaves when killed at each step is finished by the next open. */
Test(safety, interrupted_creation_is_finished, .init = setup, .fini = teardown)
{
    char path[4096];
    pathf(path, dir, "data");
    cr_assert_eq(mkdir(path, 0755), 0);
    pathf(path, dir, "LOCK");
    write_text(path, "");
    pathf(path, dir, "MANIFEST-000000000000");
    write_text(path, ""); /* killed between create and write */
    pathf(path, dir, "CURRENT.tmp");
    write_text(path, "MANIFEST-000000000000\n");
    struct cs_store *st = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(dir, CS_OPEN_READ, &st, &err), CS_ECORRUPT, "not a store yet");
    cr_assert_eq(cs_store_open(dir, CS_OPEN_WRITE | CS_OPEN_CREATE, &st, &err), CS_OK, "%s",
                 err.message);
    cr_assert_eq(cs_store_verify(st, NULL, NULL, &err), CS_OK, "%s", err.message);
    cs_store_close(st);
}

Test(safety, cleanup_deletes_only_the_engines_names, .init = setup, .fini = teardown)
{
    make_store();
    const char *keep[] = {"draft.tmp", "notes", "data/x.tmp", "data/readme", "data/12.cseg"};
    char path[4096];
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
        pathf(path, dir, keep[i]);
        write_text(path, "user\n");
    }
    struct cs_store *st = NULL;
    struct cs_txn *txn = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(dir, CS_OPEN_WRITE, &st, &err), CS_OK, "%s", err.message);
    cr_assert_eq(cs_txn_begin(st, &txn, &err), CS_OK, "%s", err.message);
    fx_put(txn, CS_T_FACT_APPROVAL, 20240101, 10, NULLS_NONE, 9);
    cr_assert_eq(cs_txn_commit(txn, &err), CS_OK, "%s", err.message);
    cs_store_close(st);
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
        pathf(path, dir, keep[i]);
        cr_assert(exists(path), "%s was deleted", keep[i]);
    }
    pathf(path, dir, "data/000000000001.cseg"); /* the engine's own dead file: gone */
    cr_assert(!exists(path));
}

/* --------------------------------------------------------------- defect 5: symlinks */

static char plant_name[256];
static char plant_target[4096];
static const char *plant_at;

static void plant_hook(const char *point)
{
    if (plant_at == NULL || strcmp(point, plant_at) != 0) return;
    char path[4096];
    pathf(path, dir, plant_name);
    (void)unlink(path);
    cr_assert_eq(symlink(plant_target, path), 0, "symlink %s", path);
}

/* A commit of version 3 while a symlink named `name` (relative to the store) pointing at a
 * file outside is planted at kill point `at`: the commit fails, the outside file keeps its
 * content, the store stays at version 2 and a later commit succeeds. */
static void raced_symlink(const char *name, const char *at)
{
    make_store();
    (void)snprintf(plant_name, sizeof(plant_name), "%s", name);
    pathf(plant_target, outside, "victim");
    write_text(plant_target, "precious\n");
    plant_at = at;
    cs_store_test_hook = plant_hook;
    struct cs_store *st = NULL;
    struct cs_txn *txn = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(dir, CS_OPEN_WRITE, &st, &err), CS_OK, "%s", err.message);
    cr_assert_eq(cs_txn_begin(st, &txn, &err), CS_OK, "%s", err.message);
    struct cs_batch b;
    fx_batch(&b, CS_T_FACT_APPROVAL, 20, 20240103, NULLS_NONE, 3);
    int rc = cs_txn_put_part(txn, CS_T_FACT_APPROVAL, 20240103, &b, &err);
    cs_batch_free(&b);
    if (rc == CS_OK)
        rc = cs_txn_commit(txn, &err);
    else
        cs_txn_abort(txn);
    cr_assert_eq(rc, CS_EIO, "the commit fails (%d): %s", rc, err.message);
    cr_assert(strstr(err.message, "File exists") != NULL, "%s", err.message);
    cs_store_test_hook = NULL;
    cs_store_close(st);
    uint8_t *buf;
    size_t len;
    fx_read_file(plant_target, &buf, &len);
    cr_assert_eq(len, 9);
    cr_assert(memcmp(buf, "precious\n", 9) == 0, "the file outside the store was written");
    free(buf);
    assert_store_v2();
    /* the next writer removes the planted name (it is one of the engine's) and commits */
    cr_assert_eq(cs_store_open(dir, CS_OPEN_WRITE, &st, &err), CS_OK, "%s", err.message);
    cr_assert_eq(cs_txn_begin(st, &txn, &err), CS_OK, "%s", err.message);
    fx_put(txn, CS_T_FACT_APPROVAL, 20240103, 20, NULLS_NONE, 3);
    cr_assert_eq(cs_txn_commit(txn, &err), CS_OK, "%s", err.message);
    cs_store_close(st);
    fx_read_file(plant_target, &buf, &len);
    cr_assert(len == 9 && memcmp(buf, "precious\n", 9) == 0);
    free(buf);
}

Test(safety, symlink_raced_in_as_next_data_file, .init = setup, .fini = teardown)
{
    raced_symlink("data/000000000003.cseg", "begun");
}

Test(safety, symlink_raced_in_as_next_manifest, .init = setup, .fini = teardown)
{
    raced_symlink("MANIFEST-000000000003", "data_synced");
}

Test(safety, symlink_raced_in_as_current_tmp, .init = setup, .fini = teardown)
{
    raced_symlink("CURRENT.tmp", "manifest_synced");
}

Test(safety,
     symlinks_planted_before_a_commit_are_removed_not_followed,
     .init = setup,
     .fini = teardown)
{
    make_store();
    char target[4096], path[4096];
    pathf(target, outside, "victim");
    write_text(target, "precious\n");
    const char *names[] = {"CURRENT.tmp", "MANIFEST-000000000003", "data/000000000003.cseg"};
    for (int i = 0; i < 3; i++) {
        pathf(path, dir, names[i]);
        cr_assert_eq(symlink(target, path), 0);
    }
    struct cs_store *st = NULL;
    struct cs_txn *txn = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(dir, CS_OPEN_WRITE, &st, &err), CS_OK, "%s", err.message);
    cr_assert_eq(cs_txn_begin(st, &txn, &err), CS_OK, "%s", err.message);
    fx_put(txn, CS_T_FACT_APPROVAL, 20240103, 20, NULLS_NONE, 3);
    cr_assert_eq(cs_txn_commit(txn, &err), CS_OK, "%s", err.message);
    cs_store_close(st);
    cr_assert_eq(fx_file_size(target), 9, "the file outside the store was written");
}

Test(safety, lock_through_a_symlink_is_refused, .init = setup, .fini = teardown)
{
    make_store();
    char path[4096], target[4096];
    pathf(path, dir, "LOCK");
    cr_assert_eq(unlink(path), 0);
    pathf(target, outside, "lock-target"); /* does not exist: O_CREAT would make it */
    cr_assert_eq(symlink(target, path), 0);
    struct cs_store *st = NULL;
    struct cs_txn *txn = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(dir, CS_OPEN_WRITE, &st, &err), CS_OK, "%s", err.message);
    cr_assert_eq(cs_txn_begin(st, &txn, &err), CS_ECORRUPT, "%s", err.message);
    cr_assert(strstr(err.message, "symbolic link") != NULL, "%s", err.message);
    cs_store_close(st);
    cr_assert(!exists(target), "a file was created outside the store");
    /* a symlink to an existing file outside: not opened, not locked, not changed */
    write_text(target, "precious\n");
    cr_assert_eq(cs_store_open(dir, CS_OPEN_WRITE, &st, &err), CS_OK, "%s", err.message);
    cr_assert_eq(cs_txn_begin(st, &txn, &err), CS_ECORRUPT, "%s", err.message);
    cs_store_close(st);
    cr_assert_eq(fx_file_size(target), 9);
}

/* ------------------------------------------------------- defect 11: not regular files */

/* replace() - put a FIFO, a symlink or a directory where the store file `name` was. */
static void replace(const char *name, char kind)
{
    char path[4096], target[4096];
    pathf(path, dir, name);
    cr_assert_eq(unlink(path), 0, "%s", name);
    if (kind == 'p') {
        cr_assert_eq(mkfifo(path, 0644), 0);
    } else if (kind == 'l') {
        pathf(target, outside, "copy");
        write_text(target, "x");
        cr_assert_eq(symlink(target, path), 0);
    } else {
        cr_assert_eq(mkdir(path, 0755), 0);
    }
}

static void first_reason(void *ctx, const char *file, const char *reason)
{
    struct cs_error *err = ctx;
    if (err->code == CS_OK) (void)cs_error_set(err, CS_ECORRUPT, "%s: %s", file, reason);
}

/* open_and_read() - open the store and verify every file: the first error. */
static int open_and_read(struct cs_error *err)
{
    struct cs_store *st = NULL;
    int rc = cs_store_open(dir, CS_OPEN_READ, &st, err);
    if (rc != CS_OK) return rc;
    struct cs_error first = {0}, e = {0};
    rc = cs_store_verify(st, first_reason, &first, &e);
    cs_store_close(st);
    *err = first.code != CS_OK ? first : e;
    return rc;
}

static void not_regular_case(const char *name, char kind)
{
    make_store();
    replace(name, kind);
    struct cs_error err = {0};
    cr_assert_eq(open_and_read(&err), CS_ECORRUPT, "%s as %c: %s", name, kind, err.message);
    cr_assert(strstr(err.message, "not a regular file") != NULL, "%s", err.message);
}

Test(safety, fifo_as_current, .init = setup, .fini = teardown)
{
    not_regular_case("CURRENT", 'p');
}

Test(safety, fifo_as_manifest, .init = setup, .fini = teardown)
{
    not_regular_case("MANIFEST-000000000002", 'p');
}

Test(safety, fifo_as_data_file, .init = setup, .fini = teardown)
{
    not_regular_case("data/000000000002.cseg", 'p');
}

Test(safety, symlink_as_current, .init = setup, .fini = teardown)
{
    not_regular_case("CURRENT", 'l');
}

Test(safety, symlink_as_data_file, .init = setup, .fini = teardown)
{
    not_regular_case("data/000000000001.cseg", 'l');
}

Test(safety, directory_as_manifest, .init = setup, .fini = teardown)
{
    not_regular_case("MANIFEST-000000000002", 'd');
}

Test(safety, fifo_as_data_file_through_pread, .init = setup, .fini = teardown)
{
    make_store();
    replace("data/000000000002.cseg", 'p');
    struct cs_store *st = NULL;
    struct cs_snap *snap = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(dir, CS_OPEN_READ | CS_OPEN_PREAD, &st, &err), CS_OK);
    cr_assert_eq(cs_snap_open(st, &snap, &err), CS_OK);
    struct cs_seg_view v;
    cs_seg_view_init(&v);
    const int col = 0; /* approval_key */
    const int kind = cs_type_kind(cs_schema_table(CS_T_FACT_APPROVAL)->cols[col].type);
    cr_assert_eq(cs_snap_view_col(snap, CS_T_FACT_APPROVAL, 1, col, kind, &v, &err), CS_ECORRUPT,
                 "%s", err.message);
    cr_assert(strstr(err.message, "a FIFO") != NULL, "%s", err.message);
    cs_seg_view_free(&v);
    cs_snap_close(snap);
    cs_store_close(st);
}

Test(safety, data_directory_as_symlink, .init = setup, .fini = teardown)
{
    make_store();
    char path[4096], moved[4096];
    pathf(path, dir, "data");
    pathf(moved, outside, "data");
    cr_assert_eq(rename(path, moved), 0);
    cr_assert_eq(symlink(moved, path), 0);
    struct cs_store *st = NULL;
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(dir, CS_OPEN_WRITE, &st, &err), CS_ECORRUPT, "%s", err.message);
    cr_assert(strstr(err.message, "not a directory of the store") != NULL, "%s", err.message);
}
