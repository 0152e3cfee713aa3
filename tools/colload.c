/*
 * colload: load PostgreSQL exports of warehouse tables into a store (SPEC 3.1, 5).
 *
 *   colload --store DIR [--format text|csv] [--no-header] [--rejects FILE]
 *           [--load-time TS] TABLE FILE|-
 *   colload --store DIR nightly [--load-time TS] [--agents F] [--queries F] [--approvals F]
 *           [--feedback F] [--rejects FILE]
 *   colload --store DIR pull [--dsn CONNINFO] [--load-time TS] [--since DATE]
 *           [--overlap INTERVAL] [--rejects FILE]
 *
 * One invocation is one atomic commit. Exit codes: 0 ok, 1 bad input, 2 usage, 3 I/O,
 * 4 damaged store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/colstore.h"
#include "tools/cli.h"

static const char usage[] =
    "usage: colload --store DIR [--format text|csv] [--no-header] [--rejects FILE]\n"
    "               [--load-time TIMESTAMPTZ] TABLE FILE|-\n"
    "       colload --store DIR nightly [--load-time TIMESTAMPTZ] [--agents F] [--queries F]\n"
    "               [--approvals F] [--feedback F] [--format text|csv] [--no-header]\n"
    "               [--rejects FILE]\n"
    "       colload --store DIR pull [--dsn CONNINFO] [--load-time TIMESTAMPTZ]\n"
    "               [--since DATE] [--overlap INTERVAL] [--rejects FILE]\n"
    "\n"
    "Load a PostgreSQL export (COPY text or CSV) of TABLE into the store, in one atomic commit.\n"
    "TABLE is one of dim_agent, dim_time, dim_conversation, dim_user, fact_agent_query,\n"
    "fact_approval, fact_training. FILE '-' reads standard input.\n"
    "\n"
    "  --store DIR       the store (created when missing); default $COLSTORE_DIR\n"
    "  --format F        text (COPY text) or csv; default from the file name: .csv is csv\n"
    "  --no-header       the CSV export has no header line (columns in DDL order)\n"
    "  --rejects FILE    write bad lines (verbatim, with the reason) to FILE and load the rest\n"
    "  --load-time TS    the value of DEFAULT now(), e.g. '2025-06-01 03:00:00+00'\n"
    "\n"
    "nightly: apply one night's exports of the operational tables in one atomic commit:\n"
    "agents (SCD-2 of dim_agent), agent_queries, agent_approvals, agent_feedback (new facts,\n"
    "conversations and users; rows whose id is already stored are skipped, so a re-run is\n"
    "harmless), and the daily aggregates of every day touched. Any subset of the four; '-'\n"
    "reads one of them from standard input. --load-time is the SCD-2 change time (now).\n"
    "\n"
    "pull: the same night straight from a live PostgreSQL server (libpq), in one snapshot:\n"
    "agents whole, and the rows whose id is above the largest the store holds, plus those\n"
    "created in the --overlap (default '2 days') before the load time, or since --since DATE.\n"
    "--dsn is a libpq connection string (default: libpq's PGHOST, PGDATABASE, ...).\n"
    "\n"
    "Exit codes: 0 ok, 1 bad input, 2 usage, 3 I/O or system error, 4 damaged store.\n";

struct progress {
    bool tty;
    double t0;
    double last;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_progress(void *ctx, uint64_t bytes, uint64_t total, uint64_t rows)
{
    struct progress *pg = ctx;
    const double t = now_s();
    if (!pg->tty || t - pg->last < 0.2) return;
    pg->last = t;
    const double el = t - pg->t0 > 1e-9 ? t - pg->t0 : 1e-9;
    const double mbs = (double)bytes / 1e6 / el;
    if (total > 0 && bytes > 0) {
        const double eta = (double)(total - (bytes < total ? bytes : total)) / ((double)bytes / el);
        fprintf(stderr, "\r%llu rows, %.1f MB/s, %.0f%%, ETA %.0f s   ", (unsigned long long)rows,
                mbs, 100.0 * (double)bytes / (double)total, eta);
    } else {
        fprintf(stderr, "\r%llu rows, %.1f MB/s   ", (unsigned long long)rows, mbs);
    }
}

struct args {
    const char *store, *format, *rejects, *load_time, *table, *file;
    const char *night[4]; /* --agents --queries --approvals --feedback */
    const char *dsn, *since, *overlap;
    bool no_header;
};

static int parse_args(int argc, char **argv, struct args *a)
{
    const char **pos[] = {&a->table, &a->file};
    size_t npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        const char **dst = NULL;
        if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            fputs(usage, stdout);
            exit(0);
        } else if (strcmp(s, "--no-header") == 0) {
            a->no_header = true;
            continue;
        } else if (strcmp(s, "--store") == 0)
            dst = &a->store;
        else if (strcmp(s, "--format") == 0)
            dst = &a->format;
        else if (strcmp(s, "--rejects") == 0)
            dst = &a->rejects;
        else if (strcmp(s, "--load-time") == 0)
            dst = &a->load_time;
        else if (strcmp(s, "--agents") == 0)
            dst = &a->night[0];
        else if (strcmp(s, "--queries") == 0)
            dst = &a->night[1];
        else if (strcmp(s, "--approvals") == 0)
            dst = &a->night[2];
        else if (strcmp(s, "--feedback") == 0)
            dst = &a->night[3];
        else if (strcmp(s, "--dsn") == 0)
            dst = &a->dsn;
        else if (strcmp(s, "--since") == 0)
            dst = &a->since;
        else if (strcmp(s, "--overlap") == 0)
            dst = &a->overlap;
        if (dst != NULL) {
            if (++i >= argc) return fprintf(stderr, "colload: %s needs a value\n", s), -1;
            *dst = argv[i];
        } else if (s[0] == '-' && s[1] != '\0') {
            return fprintf(stderr, "colload: unknown option %s\n", s), -1;
        } else if (npos < 2) {
            *pos[npos++] = s;
        } else {
            return fprintf(stderr, "colload: unexpected argument %s\n", s), -1;
        }
    }
    const bool pull = npos >= 1 && strcmp(a->table, "pull") == 0;
    const bool nightly = npos >= 1 && (strcmp(a->table, "nightly") == 0 || pull);
    const bool any_night = a->night[0] || a->night[1] || a->night[2] || a->night[3];
    if (pull && any_night)
        return fprintf(stderr, "colload: pull reads the server, not --queries F, ...\n"), -1;
    if (!pull && (a->dsn || a->since || a->overlap))
        return fprintf(stderr, "colload: --dsn/--since/--overlap go with pull\n"), -1;
    if (nightly && npos != 1) return fprintf(stderr, "colload: %s takes no FILE\n", a->table), -1;
    if (!nightly && any_night)
        return fprintf(stderr,
                       "colload: --agents/--queries/--approvals/--feedback go with nightly\n"),
               -1;
    if (!nightly && npos != 2) return fprintf(stderr, "colload: TABLE and FILE are required\n"), -1;
    int stdin_uses = 0;
    for (int i = 0; i < 4; i++)
        stdin_uses += a->night[i] != NULL && strcmp(a->night[i], "-") == 0;
    if (stdin_uses > 1) return fprintf(stderr, "colload: only one export can be '-'\n"), -1;
    a->store = cli_store_dir(a->store);
    if (a->store == NULL)
        return fprintf(stderr, "colload: --store DIR (or COLSTORE_DIR) is required\n"), -1;
    return 0;
}

static int build_options(const struct args *a, colstore_load_options *o)
{
    memset(o, 0, sizeof(*o));
    o->no_header = a->no_header;
    o->rejects_path = a->rejects;
    if (a->format == NULL)
        o->format = COLSTORE_FORMAT_AUTO;
    else if (strcmp(a->format, "text") == 0)
        o->format = COLSTORE_FORMAT_TEXT;
    else if (strcmp(a->format, "csv") == 0)
        o->format = COLSTORE_FORMAT_CSV;
    else
        return fprintf(stderr, "colload: --format must be text or csv\n"), -1;
    if (a->load_time != NULL && !cli_parse_utc(a->load_time, &o->load_time_us))
        return fprintf(stderr, "colload: --load-time: invalid timestamp \"%s\"\n", a->load_time),
               -1;
    return 0;
}

static void print_counts(const char *table, const colstore_nightly_counts *c)
{
    fprintf(stderr, "%s %llu read, %llu new, %llu skipped, %llu rejected; ", table,
            (unsigned long long)c->read, (unsigned long long)c->loaded,
            (unsigned long long)c->skipped, (unsigned long long)c->rejected);
}

static void print_summary(const char *what, const colstore_nightly_stats *st)
{
    fprintf(stderr, "colload: %s: ", what);
    fprintf(stderr, "agents %llu read, %llu new or changed, %llu unchanged, %llu rejected; ",
            (unsigned long long)st->agents.read, (unsigned long long)st->agents.loaded,
            (unsigned long long)st->agents.skipped, (unsigned long long)st->agents.rejected);
    print_counts("agent_queries", &st->queries);
    print_counts("agent_approvals", &st->approvals);
    print_counts("agent_feedback", &st->feedback);
    fprintf(stderr,
            "%llu agent versions added, %llu conversations and %llu users new, "
            "%llu days touched, %.2f s\n",
            (unsigned long long)st->versions_added, (unsigned long long)st->conversations_added,
            (unsigned long long)st->users_added, (unsigned long long)st->days_touched, st->seconds);
}

/* colload pull: colstore_pull(), one summary line. */
static int run_pull(const struct args *a, const colstore_load_options *lo)
{
    colstore_pull_options o = COLSTORE_PULL_OPTIONS_INIT;
    o.conninfo = a->dsn;
    o.load_time_us = lo->load_time_us;
    o.since = a->since;
    o.overlap = a->overlap;
    o.rejects_path = a->rejects;
    colstore_error err;
    colstore_store *store = NULL;
    int rc = colstore_open(a->store, COLSTORE_WRITABLE | COLSTORE_CREATE, &store, &err);
    if (rc != COLSTORE_OK) {
        fprintf(stderr, "colload: %s\n", err.message);
        return cli_exit_code(rc);
    }
    colstore_nightly_stats st = COLSTORE_NIGHTLY_STATS_INIT;
    rc = colstore_pull(store, &o, &st, &err);
    colstore_close(store);
    if (rc != COLSTORE_OK) {
        fprintf(stderr, "colload: %s\n", err.message);
        fputs("colload: nothing was loaded\n", stderr);
        return cli_exit_code(rc);
    }
    print_summary("pull", &st);
    return CLI_OK;
}

/* colload nightly: the four exports into colstore_nightly(), one summary line. */
static int run_nightly(const struct args *a, const colstore_load_options *lo)
{
    colstore_nightly_options o = COLSTORE_NIGHTLY_OPTIONS_INIT;
    o.load_time_us = lo->load_time_us;
    o.rejects_path = a->rejects;
    colstore_nightly_input *in[4] = {&o.agents, &o.queries, &o.approvals, &o.feedback};
    for (int i = 0; i < 4; i++) {
        in[i]->path = a->night[i];
        in[i]->format = (enum colstore_format)lo->format;
        in[i]->no_header = lo->no_header;
    }
    colstore_error err;
    colstore_store *store = NULL;
    int rc = colstore_open(a->store, COLSTORE_WRITABLE | COLSTORE_CREATE, &store, &err);
    if (rc != COLSTORE_OK) {
        fprintf(stderr, "colload: %s\n", err.message);
        return cli_exit_code(rc);
    }
    colstore_nightly_stats st = COLSTORE_NIGHTLY_STATS_INIT;
    rc = colstore_nightly(store, &o, &st, &err);
    colstore_close(store);
    if (rc != COLSTORE_OK) {
        fprintf(stderr, "colload: nightly: %s\n", err.message);
        if (rc == COLSTORE_EINPUT || rc == COLSTORE_EINVAL)
            fputs("colload: nothing was loaded\n", stderr);
        return cli_exit_code(rc);
    }
    print_summary("nightly", &st);
    return CLI_OK;
}

int main(int argc, char **argv)
{
    struct args a = {0};
    colstore_load_options o;
    if (parse_args(argc, argv, &a) != 0 || build_options(&a, &o) != 0) {
        fputs("Try 'colload --help'.\n", stderr);
        return CLI_USAGE;
    }
    if (strcmp(a.table, "nightly") == 0) return run_nightly(&a, &o);
    if (strcmp(a.table, "pull") == 0) return run_pull(&a, &o);
    struct progress pg = {isatty(STDERR_FILENO) != 0, now_s(), 0};
    o.progress = on_progress;
    o.progress_ctx = &pg;

    colstore_error err;
    colstore_store *store = NULL;
    int rc = colstore_open(a.store, COLSTORE_WRITABLE | COLSTORE_CREATE, &store, &err);
    if (rc != COLSTORE_OK) {
        fprintf(stderr, "colload: %s\n", err.message);
        return cli_exit_code(rc);
    }
    colstore_load_stats st;
    rc = colstore_load_path(store, a.table, a.file, &o, &st, &err);
    colstore_close(store);
    if (pg.tty && pg.last > 0) fputs("\r\033[K", stderr);
    if (rc != COLSTORE_OK) {
        fprintf(stderr, "colload: %s\n", err.message);
        if (rc == COLSTORE_EINPUT || rc == COLSTORE_EINVAL)
            fputs("colload: nothing was loaded\n", stderr);
        return cli_exit_code(rc);
    }
    if (st.rows_read == 0) {
        fprintf(stderr, "colload: %s: empty export, nothing to load (%.2f s)\n", a.table,
                st.seconds);
        return CLI_OK;
    }
    fprintf(stderr,
            "colload: %s: %llu rows read, %llu loaded, %llu already stored, %llu rejected, "
            "%llu partitions written, %.2f s\n",
            a.table, (unsigned long long)st.rows_read, (unsigned long long)st.rows_loaded,
            (unsigned long long)st.rows_skipped, (unsigned long long)st.rows_rejected,
            (unsigned long long)st.partitions_written, st.seconds);
    return CLI_OK;
}
