/*
 * hostile_*: inputs built to exhaust the loader — over-long lines, 200,000 fields, nesting
 * half a million deep, a 1 GB field, millions of empty lines, /dev/zero, a FIFO, invalid
 * UTF-8, a file truncated while it is read — each end with a clear error (or, with a rejects
 * file, rows rejected) within a bounded peak RSS and a watchdog, and leave the store as it was.
 *
 * Each load runs in a child process: its peak RSS (getrusage through wait4, ru_maxrss) is
 * asserted below HOSTILE_RSS_MB and printed with --verbose, with the time; the child runs under
 * alarm(HOSTILE_WATCHDOG_S), so an input that makes the loader spin fails the test instead of
 * hanging it. docs/reliability.md has the figures; COLSTORE_HOSTILE_LONG=1 runs the long
 * versions (50 M empty lines).
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/engine/fixture.h"
#include "tests/engine/state.h"

/* Under AddressSanitizer (shadow memory, quarantine) every figure is about three times larger. */
#if defined(__SANITIZE_ADDRESS__)
#    define HOSTILE_RSS_MB 384
#else
#    define HOSTILE_RSS_MB 128
#endif
#define HOSTILE_WATCHDOG_S 120

static char base[64], store_dir[128], *state0;

static void setup(void)
{
    strcpy(base, "/tmp/cs-hostile-XXXXXX");
    cr_assert_not_null(mkdtemp(base));
    (void)snprintf(store_dir, sizeof(store_dir), "%s/store", base);
    colstore_store *st = NULL;
    colstore_error err;
    cr_assert_eq(colstore_open(store_dir, COLSTORE_WRITABLE | COLSTORE_CREATE, &st, &err),
                 COLSTORE_OK, "%s", err.message);
    cr_assert_eq(fx_load_all(st, &err), COLSTORE_OK, "%s", err.message);
    colstore_close(st);
    state0 = st_state_dir(store_dir, &err);
    cr_assert_not_null(state0, "%s", err.message);
}

static void teardown(void)
{
    st_rmrf(base);
    free(state0);
}

struct outcome {
    int rc;
    char message[1024];
    uint64_t rows_read, rows_rejected;
    long rss_mb;
    double seconds;
};

struct hostile {
    const char *table;
    const char *input;    /* a path */
    const char *rejects;  /* NULL: none */
    uint64_t max_rejects; /* 0: the default */
    int format;
    /* called in the child from the progress callback, once (may be NULL) */
    void (*during)(void);
};

static const struct hostile *cur;

static int on_progress(void *ctx, uint64_t bytes, uint64_t total, uint64_t rows)
{
    (void)ctx;
    (void)bytes;
    (void)total;
    (void)rows;
    static const struct hostile done = {0};
    if (cur->during != NULL) {
        cur->during();
        cur = &done; /* once */
    }
    return 0;
}

/* run() - the load of h in a child process; its outcome, peak RSS and time. */
static struct outcome run(const struct hostile *h)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        alarm(HOSTILE_WATCHDOG_S);
        close(fds[0]);
        cur = h;
        struct outcome o = {0};
        colstore_store *st = NULL;
        colstore_error err;
        o.rc = colstore_open(store_dir, COLSTORE_WRITABLE, &st, &err);
        if (o.rc == COLSTORE_OK) {
            colstore_load_options opt = COLSTORE_LOAD_OPTIONS_INIT;
            opt.format = h->format;
            opt.rejects_path = h->rejects;
            opt.max_rejects = h->max_rejects;
            opt.progress = on_progress;
            colstore_load_stats stats;
            o.rc = colstore_load_path(st, h->table, h->input, &opt, &stats, &err);
            o.rows_read = stats.rows_read;
            o.rows_rejected = stats.rows_rejected;
            colstore_close(st);
        }
        if (o.rc != COLSTORE_OK) memcpy(o.message, err.message, sizeof(o.message));
        if (write(fds[1], &o, sizeof(o)) != (ssize_t)sizeof(o)) _exit(3);
        _exit(0);
    }
    close(fds[1]);
    struct outcome o = {0};
    const ssize_t n = read(fds[0], &o, sizeof(o));
    close(fds[0]);
    int status = 0;
    struct rusage ru;
    cr_assert_eq(wait4(pid, &status, 0, &ru), pid);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0 && n == (ssize_t)sizeof(o),
              "%s: the child died (status %d, signal %d)", h->input, status,
              WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    o.rss_mb = ru.ru_maxrss / 1024;
    o.seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    return o;
}

/* check() - the outcome's code, a message part, the RSS bound, and the store unchanged. */
static void check(const char *name, const struct outcome *o, int rc, const char *part)
{
    cr_log_info("%s: rc %d, %llu read, %llu rejected, peak RSS %ld MB, %.2f s: %s", name, o->rc,
                (unsigned long long)o->rows_read, (unsigned long long)o->rows_rejected, o->rss_mb,
                o->seconds, o->message);
    cr_assert_eq(o->rc, rc, "%s: code %d: %s", name, o->rc, o->message);
    if (part != NULL)
        cr_assert(strstr(o->message, part) != NULL, "%s: message: %s", name, o->message);
    cr_assert_lt(o->rss_mb, HOSTILE_RSS_MB, "%s: peak RSS %ld MB", name, o->rss_mb);
    colstore_error err;
    char *now = st_state_dir(store_dir, &err);
    cr_assert_not_null(now, "%s: %s", name, err.message);
    cr_assert_str_eq(now, state0, "%s: the store changed", name);
    free(now);
}

static void pathf(char *buf, const char *name)
{
    (void)snprintf(buf, 256, "%s/%s", base, name);
}

/* write_file() - name holds `prefix`, then n bytes of `fill`, then `suffix`. */
static void
write_file(const char *path, const char *prefix, char fill, size_t n, const char *suffix)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(prefix, f);
    char chunk[65536];
    memset(chunk, fill, sizeof(chunk));
    for (size_t done = 0; done < n;) {
        const size_t k = n - done < sizeof(chunk) ? n - done : sizeof(chunk);
        cr_assert_eq(fwrite(chunk, 1, k, f), k);
        done += k;
    }
    fputs(suffix, f);
    cr_assert_eq(fclose(f), 0);
}

static const char row_head[] = "900\t1\t20250301\t1\t0123456789abcdef0123456789abcdef\t1\t";

Test(hostile, line_over_the_limit, .init = setup, .fini = teardown, .timeout = 300)
{
    char in[256], rej[256];
    pathf(in, "long.copy");
    write_file(in, row_head, '7', 2u << 20, "\tt\tf\tf\t2025-03-01 10:00:00+00\n");
    struct hostile h = {"fact_agent_query", in, NULL, 0, COLSTORE_FORMAT_TEXT, NULL};
    struct outcome o = run(&h);
    check("2 MiB line", &o, COLSTORE_EINPUT, "long.copy:1: row: line longer than 1048576 bytes");
    pathf(rej, "rejects.txt");
    h.rejects = rej;
    o = run(&h);
    check("2 MiB line, rejects", &o, COLSTORE_OK, NULL);
    cr_assert_eq(o.rows_rejected, 1);
    struct stat sb;
    cr_assert_eq(stat(rej, &sb), 0);
    cr_assert_lt(sb.st_size, (1 << 20) + 200, "the rejects file keeps at most 1 MiB of a record");
}

Test(hostile, two_hundred_thousand_fields, .init = setup, .fini = teardown, .timeout = 300)
{
    char in[256];
    pathf(in, "fields.copy");
    write_file(in, "1", '\t', 200000, "\n");
    struct hostile h = {"fact_agent_query", in, NULL, 0, COLSTORE_FORMAT_TEXT, NULL};
    struct outcome o = run(&h);
    check("200,000 fields", &o, COLSTORE_EINPUT, "expected 11 fields, found 200001");
}

Test(hostile, nesting_half_a_million_deep, .init = setup, .fini = teardown, .timeout = 300)
{
    char in[256];
    pathf(in, "nest.copy");
    write_file(in, "9\tnest\tdata\t", '[', 500000, "\t300\t0.0\t2025-01-01 00:00:00+00\t\\N\tt\n");
    struct hostile h = {"dim_agent", in, NULL, 0, COLSTORE_FORMAT_TEXT, NULL};
    struct outcome o = run(&h);
    check("jsonb nested 500,000 deep", &o, COLSTORE_EINPUT, "nest.copy:1: capabilities:");
    pathf(in, "nest-array.copy");
    write_file(in, "9\t1\t20250301\t1\t1\tf\t5\t4\t3\t", '{', 500000,
               "\t2025-03-01 10:00:00+00\t\\N\n");
    h = (struct hostile){"fact_training", in, NULL, 0, COLSTORE_FORMAT_TEXT, NULL};
    o = run(&h);
    check("text[] nested 500,000 deep", &o, COLSTORE_EINPUT, "nest-array.copy:1: labels:");
}

/* A 1 GB field: a sparse file (no disk) of NUL bytes, never a newline. */
Test(hostile, one_gigabyte_field, .init = setup, .fini = teardown, .timeout = 300)
{
    char in[256], rej[256];
    pathf(in, "gigabyte.copy");
    const int fd = open(in, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, row_head, strlen(row_head)), (ssize_t)strlen(row_head));
    cr_assert_eq(ftruncate(fd, (off_t)1 << 30), 0);
    close(fd);
    struct hostile h = {"fact_agent_query", in, NULL, 0, COLSTORE_FORMAT_TEXT, NULL};
    struct outcome o = run(&h);
    check("1 GB field", &o, COLSTORE_EINPUT, "line longer than 1048576 bytes");
    pathf(rej, "rejects.txt");
    h.rejects = rej;
    h.max_rejects = UINT64_MAX;
    o = run(&h);
    check("1 GB field, rejects", &o, COLSTORE_EINPUT, "the input is not an export");
}

static void empty_lines(size_t n)
{
    char in[256];
    pathf(in, "empty.copy");
    write_file(in, "", '\n', n, "");
    struct hostile h = {"fact_agent_query",   in,  "/dev/null", UINT64_MAX,
                        COLSTORE_FORMAT_TEXT, NULL};
    struct outcome o = run(&h);
    char name[64];
    (void)snprintf(name, sizeof(name), "%zu empty lines, rejects", n);
    check(name, &o, COLSTORE_OK, NULL);
    cr_assert_eq(o.rows_rejected, n);
    cr_assert_eq(o.rows_read, n, "rejected rows are rows read");
    h.max_rejects = 0; /* the default limit */
    o = run(&h);
    check("empty lines, default --max-rejects", &o, COLSTORE_EINPUT,
          "more than 1000 rows rejected");
}

Test(hostile, millions_of_empty_lines, .init = setup, .fini = teardown, .timeout = 900)
{
    const char *lng = getenv("COLSTORE_HOSTILE_LONG");
    empty_lines(lng != NULL && *lng == '1' ? (size_t)50000000 : (size_t)5000000);
}

Test(hostile, dev_zero, .init = setup, .fini = teardown, .timeout = 300)
{
    struct hostile h = {"fact_agent_query", "/dev/zero", NULL, 0, COLSTORE_FORMAT_TEXT, NULL};
    struct outcome o = run(&h);
    check("/dev/zero", &o, COLSTORE_EINPUT, "line longer than 1048576 bytes");
    char rej[256];
    pathf(rej, "rejects.txt");
    h.rejects = rej;
    o = run(&h);
    check("/dev/zero, rejects", &o, COLSTORE_EINPUT, "the input is not an export");
    struct stat sb;
    cr_assert_eq(stat(rej, &sb), 0);
    cr_assert_lt(sb.st_size, (1 << 20) + 200, "the rejects file keeps at most 1 MiB");
}

Test(hostile, fifo_of_invalid_utf8, .init = setup, .fini = teardown, .timeout = 300)
{
    char in[256];
    pathf(in, "fifo");
    cr_assert_eq(mkfifo(in, 0644), 0);
    const pid_t writer = fork();
    cr_assert(writer >= 0);
    if (writer == 0) { /* 20 MB of lines with invalid UTF-8 */
        const int fd = open(in, O_WRONLY);
        static const char line[] =
            "1\t\xff\xfe\xc3\x28\tannotator\t\\N\t2025-01-01 00:00:00+00\t\\N\tt\n";
        for (int i = 0; i < 20 * 1024 * 1024 / (int)(sizeof(line) - 1); i++)
            if (write(fd, line, sizeof(line) - 1) < 0) _exit(0);
        _exit(0);
    }
    struct hostile h = {"dim_user", in, "/dev/null", UINT64_MAX, COLSTORE_FORMAT_TEXT, NULL};
    struct outcome o = run(&h);
    (void)waitpid(writer, NULL, 0);
    check("FIFO, 20 MB of invalid UTF-8, rejects", &o, COLSTORE_OK, NULL);
    cr_assert_gt(o.rows_rejected, 400000);
    char f2[256];
    pathf(f2, "utf8.copy");
    write_file(f2, "5\tbad\xff\xfeuser\tannotator\t\\N\t2025-01-01 00:00:00+00\t\\N\tt\n", 'x', 0,
               "");
    h = (struct hostile){"dim_user", f2, NULL, 0, COLSTORE_FORMAT_TEXT, NULL};
    o = run(&h);
    check("invalid UTF-8", &o, COLSTORE_EINPUT, "invalid byte sequence for encoding \"UTF8\"");
}

/* Truncated while it is read (issue 10, item 10): read, never mapped, so no SIGBUS. */
static char trunc_path[256];

static void truncate_input(void)
{
    cr_assert_eq(truncate(trunc_path, 3 << 20), 0);
}

Test(hostile, input_truncated_while_read, .init = setup, .fini = teardown, .timeout = 300)
{
    pathf(trunc_path, "shrinking.copy");
    FILE *f = fopen(trunc_path, "w");
    cr_assert_not_null(f);
    /* 10 MB of valid rows of the fixture's day, agent and conversation */
    for (int i = 0; i < 100000; i++)
        fprintf(f,
                "%d\t3\t20250302\t1\t0123456789abcdef0123456789abcdef\t5\t%d\tt\tf\tf\t"
                "2025-03-02 10:00:00+00\n",
                1000 + i, i % 1000);
    cr_assert_eq(fclose(f), 0);
    struct hostile h = {"fact_agent_query",   trunc_path,    NULL, 0,
                        COLSTORE_FORMAT_TEXT, truncate_input};
    struct outcome o = run(&h);
    cr_log_info("truncated while read: rc %d, peak RSS %ld MB: %s", o.rc, o.rss_mb, o.message);
    /* the file ends early: the last record may be cut (bad input) or not (the rows before it
     * load); never a signal */
    cr_assert(o.rc == COLSTORE_OK || o.rc == COLSTORE_EINPUT, "code %d: %s", o.rc, o.message);
    cr_assert_lt(o.rss_mb, HOSTILE_RSS_MB);
    colstore_error err;
    colstore_store *st = NULL;
    cr_assert_eq(colstore_open(store_dir, COLSTORE_READ_ONLY, &st, &err), COLSTORE_OK);
    cr_assert_eq(colstore_verify(st, NULL, NULL, &err), COLSTORE_OK, "%s", err.message);
    colstore_close(st);
}
