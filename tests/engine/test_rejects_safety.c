/*
 * rejects_*: the rejects file of a load is the user's file and the load's evidence (issue 10,
 * defects 3 and 4): a rejects path that is the input or lies in the store is refused, the file
 * is opened only once the writer lock is held and truncated only after every check passed, and
 * when the rejected lines cannot be written the load commits nothing.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "tests/engine/fixture.h"

/* Two new good rows and one bad (latency "12x") for fact_agent_query. */
static const char extra_rows[] =
    "6\t1\t20250301\t1\t0123456789abcdef0123456789abcdea\t1\t10\tt\tf\tf\t2025-03-01 13:00:00+00\n"
    "7\t1\t20250301\t1\t0123456789abcdef0123456789abcdeb\t1\t12x\tt\tf\tf\t2025-03-01 14:00:00+00\n"
    "8\t1\t20250302\t1\t0123456789abcdef0123456789abcdec\t1\t30\tt\tf\tf\t2025-03-02 13:00:00+00\n";

static char *dir, *base;
static colstore_store *st;
static char *before; /* dump of fact_agent_query after the fixture load */

static void setup(void)
{
    dir = fx_tmpdir();
    cr_assert_not_null(dir);
    base = strdup(dir);
    *strrchr(base, '/') = '\0';
    colstore_error err;
    cr_assert_eq(colstore_open(dir, COLSTORE_WRITABLE | COLSTORE_CREATE, &st, &err), COLSTORE_OK,
                 "%s", err.message);
    cr_assert_eq(fx_load_all(st, &err), COLSTORE_OK, "%s", err.message);
    before = fx_dump(st, "fact_agent_query", COLSTORE_FORMAT_TEXT);
}

static void teardown(void)
{
    colstore_close(st);
    char cmd[4200];
    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
    (void)system(cmd);
    free(before);
    free(dir);
    free(base);
}

static void pathf(char *buf, const char *b, const char *name)
{
    (void)snprintf(buf, 4096, "%s/%s", b, name);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    char *buf = calloc(1, 1 << 16);
    (void)fread(buf, 1, (1 << 16) - 1, f);
    fclose(f);
    return buf;
}

static void assert_unchanged(void)
{
    char *now = fx_dump(st, "fact_agent_query", COLSTORE_FORMAT_TEXT);
    cr_assert_str_eq(now, before, "the failed load committed rows");
    free(now);
    colstore_error err;
    cr_assert_eq(colstore_verify(st, NULL, NULL, &err), COLSTORE_OK, "%s", err.message);
}

static int load_with_rejects(const char *input, const char *rejects, colstore_error *err)
{
    colstore_load_options o = COLSTORE_LOAD_OPTIONS_INIT;
    o.format = COLSTORE_FORMAT_TEXT;
    o.rejects_path = rejects;
    return colstore_load_path(st, "fact_agent_query", input, &o, NULL, err);
}

Test(rejects, path_naming_the_input_is_refused, .init = setup, .fini = teardown)
{
    char input[4096], other[4096], link_path[4096];
    pathf(input, base, "ft.copy");
    write_text(input, extra_rows);
    colstore_error err;
    cr_assert_eq(load_with_rejects(input, input, &err), COLSTORE_EINVAL, "%s", err.message);
    cr_assert(strstr(err.message, "is the input") != NULL, "%s", err.message);
    /* the same file under another name: a ./ path and a symlink */
    (void)snprintf(other, sizeof(other), "%s/./ft.copy", base);
    cr_assert_eq(load_with_rejects(input, other, &err), COLSTORE_EINVAL, "%s", err.message);
    pathf(link_path, base, "link.copy");
    cr_assert_eq(symlink(input, link_path), 0);
    cr_assert_eq(load_with_rejects(input, link_path, &err), COLSTORE_EINVAL, "%s", err.message);
    char *text = read_text(input);
    cr_assert_str_eq(text, extra_rows, "the input was changed");
    free(text);
    assert_unchanged();
}

Test(rejects, untouched_while_another_writer_holds_the_lock, .init = setup, .fini = teardown)
{
    char input[4096], rejects[4096], lock[4096];
    pathf(input, base, "ft.copy");
    write_text(input, extra_rows);
    pathf(rejects, base, "rejects.txt");
    write_text(rejects, "yesterday's rejects\n");
    pathf(lock, dir, "LOCK");
    const int fd = open(lock, O_RDWR);
    cr_assert(fd >= 0);
    cr_assert_eq(flock(fd, LOCK_EX), 0);
    colstore_error err;
    cr_assert_eq(load_with_rejects(input, rejects, &err), COLSTORE_EBUSY, "%s", err.message);
    close(fd);
    char *text = read_text(rejects);
    cr_assert_str_eq(text, "yesterday's rejects\n", "the rejects file was touched");
    free(text);
    assert_unchanged();
}

Test(rejects, path_inside_the_store_is_refused, .init = setup, .fini = teardown)
{
    char input[4096], path[4096];
    pathf(input, base, "ft.copy");
    write_text(input, extra_rows);
    const char *inside[] = {"CURRENT", "LOCK", "rejects.txt", "data/rejects.txt", "data/../x"};
    colstore_error err;
    for (size_t i = 0; i < sizeof(inside) / sizeof(inside[0]); i++) {
        pathf(path, dir, inside[i]);
        cr_assert_eq(load_with_rejects(input, path, &err), COLSTORE_EINVAL, "%s: %s", inside[i],
                     err.message);
        cr_assert(strstr(err.message, "inside the store") != NULL, "%s", err.message);
    }
    pathf(path, dir, "rejects.txt");
    cr_assert(access(path, F_OK) != 0, "a file was created in the store");
    /* a hard link and a symlink outside the store that lead to a store file */
    char cur[4096];
    pathf(cur, dir, "CURRENT");
    pathf(path, base, "hard-link");
    cr_assert_eq(link(cur, path), 0);
    cr_assert_eq(load_with_rejects(input, path, &err), COLSTORE_EINVAL, "%s", err.message);
    pathf(path, base, "sym-link");
    cr_assert_eq(symlink(cur, path), 0);
    cr_assert_eq(load_with_rejects(input, path, &err), COLSTORE_EINVAL, "%s", err.message);
    assert_unchanged();
}

Test(rejects, unwritable_rejects_commit_nothing, .init = setup, .fini = teardown)
{
    char input[4096];
    pathf(input, base, "ft.copy");
    write_text(input, extra_rows);
    colstore_error err;
    cr_assert_eq(load_with_rejects(input, "/dev/full", &err), COLSTORE_EIO, "%s", err.message);
    cr_assert(strstr(err.message, "nothing was committed") != NULL, "%s", err.message);
    assert_unchanged();
}

Test(rejects, existing_file_replaced_after_the_checks, .init = setup, .fini = teardown)
{
    char input[4096], rejects[4096];
    pathf(input, base, "ft.copy");
    write_text(input, extra_rows);
    pathf(rejects, base, "rejects.txt");
    write_text(rejects, "yesterday's rejects, a long line that is longer than today's\n"
                        "and a second one\n");
    colstore_error err;
    colstore_load_stats stats;
    colstore_load_options o = COLSTORE_LOAD_OPTIONS_INIT;
    o.format = COLSTORE_FORMAT_TEXT;
    o.rejects_path = rejects;
    cr_assert_eq(colstore_load_path(st, "fact_agent_query", input, &o, &stats, &err), COLSTORE_OK,
                 "%s", err.message);
    cr_assert_eq(stats.rows_loaded, 2);
    cr_assert_eq(stats.rows_rejected, 1);
    char *text = read_text(rejects);
    const char *bad = strstr(extra_rows, "7\t");
    cr_assert(strncmp(text, bad, (size_t)(strchr(bad, '\n') - bad + 1)) == 0, "%s", text);
    cr_assert(strstr(text, "-- ") != NULL && strstr(text, "latency_ms") != NULL, "%s", text);
    cr_assert(strstr(text, "yesterday") == NULL, "%s", text);
    free(text);
}

Test(rejects, nightly_refuses_an_input_or_the_store, .init = setup, .fini = teardown)
{
    char queries[4096], path[4096];
    pathf(queries, base, "queries.copy");
    const char *q = "32\tdata\tc-1\tq\t1\t10\tt\tf\tf\t2025-03-04 00:00:00+00\n";
    write_text(queries, q);
    colstore_nightly_options o = COLSTORE_NIGHTLY_OPTIONS_INIT;
    o.queries.path = queries;
    o.rejects_path = queries;
    colstore_error err;
    cr_assert_eq(colstore_nightly(st, &o, NULL, &err), COLSTORE_EINVAL, "%s", err.message);
    char *text = read_text(queries);
    cr_assert_str_eq(text, q, "the input was changed");
    free(text);
    pathf(path, dir, "CURRENT");
    o.rejects_path = path;
    cr_assert_eq(colstore_nightly(st, &o, NULL, &err), COLSTORE_EINVAL, "%s", err.message);
    assert_unchanged();
}
