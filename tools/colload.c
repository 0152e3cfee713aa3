/*
 * colload: load PostgreSQL exports of warehouse tables into a store (docs/cli.md).
 *
 *   colload [--store DIR] [--create] [--format text|csv] [--no-header] [--rejects FILE]
 *           [--load-time TS] TABLE FILE|-
 *   colload [--store DIR] [--create] nightly [--load-time TS] [--agents F] [--queries F]
 *           [--approvals F] [--feedback F] [--rejects FILE]
 *   colload [--store DIR] [--create] pull [--dsn CONNINFO] [--load-time TS] [--since DATE]
 *           [--overlap INTERVAL] [--rejects FILE]
 *   colload [--store DIR] retain --before DATE [TABLE...]
 *   colload [--store DIR] compact [--auto]
 *
 * One invocation is one atomic commit. Exit codes: 0 ok, 1 bad input, 2 usage, 3 I/O,
 * 4 damaged store. The first operand is a table, or a subcommand from `commands` below.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/colstore.h"
#include "tools/cli.h"

static const char usage[] =
    "usage: colload [--store DIR] [--create] [--format text|csv] [--no-header]\n"
    "               [--rejects FILE [--max-rejects N]] [--load-time TIMESTAMPTZ] TABLE FILE|-\n"
    "       colload [--store DIR] [--create] nightly [--load-time TIMESTAMPTZ] [--agents F]\n"
    "               [--queries F] [--approvals F] [--feedback F] [--format text|csv]\n"
    "               [--no-header] [--rejects FILE [--max-rejects N]]\n"
    "       colload [--store DIR] [--create] pull [--dsn CONNINFO] [--load-time TIMESTAMPTZ]\n"
    "               [--since DATE] [--overlap INTERVAL] [--rejects FILE]\n"
    "       colload [--store DIR] retain --before DATE [TABLE...]\n"
    "       colload [--store DIR] compact [--auto]\n"
    "\n"
    "Load a PostgreSQL export (COPY text or CSV) of TABLE into the store, in one atomic commit.\n"
    "TABLE is one of dim_agent, dim_time, dim_conversation, dim_user, fact_agent_query,\n"
    "fact_approval, fact_training. FILE '-' reads standard input.\n"
    "\n"
    "Options:\n"
    "  --store DIR       the store; default $COLSTORE_DIR\n"
    "  --create          create the store if DIR does not exist or is empty\n"
    "  --format F        text (COPY text) or csv; default from the file name: .csv is csv\n"
    "  --no-header       the CSV export has no header line (columns in DDL order)\n"
    "  --rejects FILE    write bad lines (verbatim, with the reason) to FILE, load the rest\n"
    "                    and exit 1 when any line was rejected\n"
    "  --max-rejects N   with --rejects: fail (exit 1, nothing loaded) after N rejected rows;\n"
    "                    default 1000, 'unlimited' for no limit\n"
    "  --load-time TS    the value of DEFAULT now(), e.g. '2025-06-01 03:00:00+00'\n"
    "  --agents F        nightly: the export of the operational table agents\n"
    "  --queries F       nightly: agent_queries\n"
    "  --approvals F     nightly: agent_approvals\n"
    "  --feedback F      nightly: agent_feedback\n"
    "  --before DATE     retain: the first day kept (YYYY-MM-DD)\n"
    "  --no-auto-compact do not compact the store after the commit, whatever its dead space\n"
    "  --auto            compact: only when the automatic compaction's thresholds are met\n"
    "  -h, --help        print this help and exit\n"
    "  -V, --version     print the version and exit\n"
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
    "retain: drop the days before --before DATE of the fact tables (all three, or the TABLEs\n"
    "named) with their daily aggregates, in one atomic commit; dimensions are kept. Readers\n"
    "are not blocked; files are deleted once no snapshot needs them.\n"
    "\n"
    "compact: rewrite, in one commit, the live blocks of data files that carry dead space\n"
    "(copied without decoding) and the days spread over several row groups by late rows\n"
    "(merged). Readers are not blocked; the answers do not change. Every load, nightly, pull\n"
    "and retain runs it on its own afterwards when the store's dead space passes 10 %, a day\n"
    "has more than 8 row groups, or a day a week old has several (docs/storage-format.md 12).\n"
    "\n"
    "Exit codes: 0 ok, 1 bad input (or rows rejected), 2 usage, 3 I/O or system error,\n"
    "4 damaged store.\n";

/* Options: an index in `opts` is the option's id. */
enum {
    O_STORE,
    O_CREATE,
    O_FORMAT,
    O_NO_HEADER,
    O_REJECTS,
    O_LOAD_TIME,
    O_MAX_REJECTS,
    O_AGENTS, /* nightly's four exports, in this order */
    O_QUERIES,
    O_APPROVALS,
    O_FEEDBACK,
    O_DSN, /* pull */
    O_SINCE,
    O_OVERLAP,
    O_BEFORE, /* retain */
    O_NO_AUTO_COMPACT,
    O_AUTO, /* compact */
    O_COUNT
};
static const struct cli_opt opts[O_COUNT] = {
    [O_STORE] = {"store", "DIR"},
    [O_CREATE] = {"create", NULL},
    [O_FORMAT] = {"format", "FORMAT"},
    [O_NO_HEADER] = {"no-header", NULL},
    [O_REJECTS] = {"rejects", "FILE"},
    [O_LOAD_TIME] = {"load-time", "TIMESTAMPTZ"},
    [O_MAX_REJECTS] = {"max-rejects", "N"},
    [O_AGENTS] = {"agents", "FILE"},
    [O_QUERIES] = {"queries", "FILE"},
    [O_APPROVALS] = {"approvals", "FILE"},
    [O_FEEDBACK] = {"feedback", "FILE"},
    [O_DSN] = {"dsn", "CONNINFO"},
    [O_SINCE] = {"since", "DATE"},
    [O_OVERLAP] = {"overlap", "INTERVAL"},
    [O_BEFORE] = {"before", "DATE"},
    [O_NO_AUTO_COMPACT] = {"no-auto-compact", NULL},
    [O_AUTO] = {"auto", NULL},
};
#define LOAD_OPTS                                                                        \
    (CLI_BIT(O_CREATE) | CLI_BIT(O_FORMAT) | CLI_BIT(O_NO_HEADER) | CLI_BIT(O_REJECTS) | \
     CLI_BIT(O_LOAD_TIME) | CLI_BIT(O_MAX_REJECTS) | CLI_BIT(O_NO_AUTO_COMPACT))
#define PULL_OPTS                                                                     \
    (CLI_BIT(O_CREATE) | CLI_BIT(O_REJECTS) | CLI_BIT(O_LOAD_TIME) | CLI_BIT(O_DSN) | \
     CLI_BIT(O_SINCE) | CLI_BIT(O_OVERLAP) | CLI_BIT(O_NO_AUTO_COMPACT))
#define NIGHTLY_OPTS                                                             \
    (LOAD_OPTS | CLI_BIT(O_AGENTS) | CLI_BIT(O_QUERIES) | CLI_BIT(O_APPROVALS) | \
     CLI_BIT(O_FEEDBACK))

static const char *const tables[] = {"dim_agent",    "dim_time",         "dim_conversation",
                                     "dim_user",     "fact_agent_query", "fact_approval",
                                     "fact_training"};
#define NTABLES ((int)(sizeof(tables) / sizeof(tables[0])))

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

static int on_progress(void *ctx, uint64_t bytes, uint64_t total, uint64_t rows)
{
    struct progress *pg = ctx;
    const double t = now_s();
    if (!pg->tty || t - pg->last < 0.2) return 0;
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
    return 0;
}

/* The options loads share, into *o; -1 when they are good, else the exit code. */
static int load_options(struct cli *c, colstore_load_options *o)
{
    colstore_error err;
    o->no_header = cli_given(c, O_NO_HEADER);
    o->rejects_path = c->val[O_REJECTS];
    const char *fmt = c->val[O_FORMAT];
    if (fmt == NULL)
        o->format = COLSTORE_FORMAT_AUTO;
    else if (strcmp(fmt, "text") == 0)
        o->format = COLSTORE_FORMAT_TEXT;
    else if (strcmp(fmt, "csv") == 0)
        o->format = COLSTORE_FORMAT_CSV;
    else
        return cli_usage(c, "--format must be text or csv, not \"%s\"", fmt);
    if (cli_given(c, O_LOAD_TIME) &&
        colstore_parse_timestamptz(c->val[O_LOAD_TIME], &o->load_time_us, &err) != COLSTORE_OK)
        return cli_error(c, CLI_INPUT, "--load-time: %s", err.message);
    if (cli_given(c, O_MAX_REJECTS)) {
        const char *v = c->val[O_MAX_REJECTS];
        long n = 0;
        if (strcmp(v, "unlimited") == 0)
            o->max_rejects = UINT64_MAX;
        else if (cli_parse_int(v, 1, LONG_MAX, &n))
            o->max_rejects = (uint64_t)n;
        else
            return cli_error(c, CLI_INPUT,
                             "--max-rejects: a positive number or \"unlimited\", not \"%s\"", v);
        if (o->rejects_path == NULL) return cli_usage(c, "--max-rejects needs --rejects FILE");
    }
    return -1;
}

/* Open the store for writing: created only with --create. -1 when open, else the exit code. */
static int open_store(struct cli *c, colstore_store **store)
{
    const char *dir = cli_store_dir(c->val[O_STORE]);
    if (dir == NULL) return cli_usage(c, "--store DIR (or COLSTORE_DIR) is required");
    colstore_error err;
    const unsigned flags = COLSTORE_WRITABLE | (cli_given(c, O_CREATE) ? COLSTORE_CREATE : 0u) |
                           (cli_given(c, O_NO_AUTO_COMPACT) ? COLSTORE_NO_AUTO_COMPACT : 0u);
    int rc = colstore_open(dir, flags, store, &err);
    if (rc == COLSTORE_OK) return -1;
    if (!cli_given(c, O_CREATE) && access(dir, F_OK) != 0)
        return cli_error(c, CLI_IO, "no store at %s (add --create to make a new one)", dir);
    return cli_fail(c, rc, &err);
}

/* load_failed() - the library's message, with the flag to use when it says the export looks
 * like the other format (the library names formats, the CLI its flags). */
static int load_failed(const char *what, int rc, const colstore_error *err)
{
    const char *flag = strstr(err->message, "looks like COPY text") != NULL ? "--format text"
                       : strstr(err->message, "looks like CSV") != NULL     ? "--format csv"
                                                                            : NULL;
    fprintf(stderr, "colload: %s%s%s%s\n", what, err->message, flag != NULL ? "; use " : "",
            flag != NULL ? flag : "");
    if (rc == COLSTORE_EINPUT || rc == COLSTORE_EINVAL)
        fputs("colload: nothing was loaded\n", stderr);
    return cli_exit_code(rc);
}

/* colload TABLE FILE: one load. */
static int cmd_load(struct cli *c)
{
    if (c->npos < 2) return cli_usage(c, "TABLE and FILE are required");
    if (c->npos > 2) return cli_usage(c, "unexpected argument %s", c->pos[2]);
    const char *table = c->pos[0], *file = c->pos[1];
    int t = 0;
    while (t < NTABLES && strcmp(tables[t], table) != 0)
        t++;
    if (t == NTABLES) return cli_unknown_name(c, "table", table, tables, NTABLES);
    int rc = cli_only(c, LOAD_OPTS | CLI_BIT(O_STORE), "a table load");
    colstore_load_options o = COLSTORE_LOAD_OPTIONS_INIT;
    if (rc < 0) rc = load_options(c, &o);
    colstore_store *store = NULL;
    if (rc < 0) rc = open_store(c, &store);
    if (rc >= 0) return rc;

    struct progress pg = {isatty(STDERR_FILENO) != 0, now_s(), 0};
    o.progress = on_progress;
    o.progress_ctx = &pg;
    colstore_error err;
    colstore_load_stats st;
    rc = colstore_load_path(store, table, file, &o, &st, &err);
    colstore_close(store);
    if (pg.tty && pg.last > 0) fputs("\r\033[K", stderr);
    if (rc != COLSTORE_OK) return load_failed("", rc, &err);
    if (st.rows_read == 0 && st.rows_rejected == 0) {
        fprintf(stderr, "colload: %s: empty export, nothing to load (%.2f s)\n", table, st.seconds);
        return CLI_OK;
    }
    fprintf(stderr,
            "colload: %s: %llu rows read, %llu loaded, %llu already stored, %llu rejected, "
            "%llu partitions written, %.2f s\n",
            table, (unsigned long long)st.rows_read, (unsigned long long)st.rows_loaded,
            (unsigned long long)st.rows_skipped, (unsigned long long)st.rows_rejected,
            (unsigned long long)st.partitions_written, st.seconds);
    if (st.rows_rejected > 0) {
        fprintf(stderr, "colload: %llu line(s) rejected, see %s; the other rows are committed\n",
                (unsigned long long)st.rows_rejected, o.rejects_path);
        return CLI_INPUT;
    }
    return CLI_OK;
}

static void print_counts(const char *table, const colstore_nightly_counts *n)
{
    fprintf(stderr, "%s %llu read, %llu new, %llu skipped, %llu rejected; ", table,
            (unsigned long long)n->read, (unsigned long long)n->loaded,
            (unsigned long long)n->skipped, (unsigned long long)n->rejected);
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

/* colload pull: the night straight from PostgreSQL through colstore_pull(). */
static int cmd_pull(struct cli *c)
{
    if (c->npos > 1) return cli_usage(c, "pull takes no FILE");
    colstore_error err;
    int32_t since_days;
    if (c->val[O_SINCE] != NULL &&
        colstore_parse_date(c->val[O_SINCE], &since_days, &err) != COLSTORE_OK)
        return cli_error(c, CLI_INPUT, "--since: %s", err.message);
    colstore_load_options lo = COLSTORE_LOAD_OPTIONS_INIT;
    int rc = load_options(c, &lo);
    colstore_store *store = NULL;
    if (rc < 0) rc = open_store(c, &store);
    if (rc >= 0) return rc;
    colstore_pull_options o = COLSTORE_PULL_OPTIONS_INIT;
    o.conninfo = c->val[O_DSN];
    o.load_time_us = lo.load_time_us;
    o.since = c->val[O_SINCE];
    o.overlap = c->val[O_OVERLAP];
    o.rejects_path = lo.rejects_path;
    colstore_nightly_stats st = COLSTORE_NIGHTLY_STATS_INIT;
    rc = colstore_pull(store, &o, &st, &err);
    colstore_close(store);
    if (rc != COLSTORE_OK) {
        cli_fail(c, rc, &err);
        fputs("colload: nothing was loaded\n", stderr);
        return cli_exit_code(rc);
    }
    print_summary("pull", &st);
    return CLI_OK;
}

/* colload nightly: the four exports into colstore_nightly(), one summary line. */
static int cmd_nightly(struct cli *c)
{
    if (c->npos > 1) return cli_usage(c, "nightly takes no FILE (use --queries F, ...)");
    int stdin_uses = 0;
    for (int i = O_AGENTS; i <= O_FEEDBACK; i++)
        stdin_uses += c->val[i] != NULL && strcmp(c->val[i], "-") == 0;
    if (stdin_uses > 1) return cli_usage(c, "only one export can be '-'");
    colstore_load_options lo = COLSTORE_LOAD_OPTIONS_INIT;
    int rc = load_options(c, &lo);
    colstore_store *store = NULL;
    if (rc < 0) rc = open_store(c, &store);
    if (rc >= 0) return rc;
    colstore_nightly_options o = COLSTORE_NIGHTLY_OPTIONS_INIT;
    o.load_time_us = lo.load_time_us;
    o.rejects_path = lo.rejects_path;
    o.max_rejects = lo.max_rejects;
    colstore_nightly_input *in[4] = {&o.agents, &o.queries, &o.approvals, &o.feedback};
    for (int i = 0; i < 4; i++) {
        in[i]->path = c->val[O_AGENTS + i];
        in[i]->format = lo.format;
        in[i]->no_header = lo.no_header;
    }
    colstore_error err;
    colstore_nightly_stats st = COLSTORE_NIGHTLY_STATS_INIT;
    rc = colstore_nightly(store, &o, &st, &err);
    colstore_close(store);
    if (rc != COLSTORE_OK) return load_failed("nightly: ", rc, &err);
    print_summary("nightly", &st);
    return CLI_OK;
}

static const char *const fact_tables[] = {"fact_agent_query", "fact_approval", "fact_training"};

/* colload retain --before DATE [TABLE...]: colstore_retain(). */
static int cmd_retain(struct cli *c)
{
    colstore_error err;
    const char *before = c->val[O_BEFORE];
    if (before == NULL) return cli_usage(c, "retain needs --before DATE (the first day kept)");
    int32_t days;
    if (colstore_parse_date(before, &days, &err) != COLSTORE_OK)
        return cli_error(c, CLI_INPUT, "--before: %s", err.message);
    const char *const *names = (const char *const *)c->pos + 1;
    const int n = c->npos - 1;
    for (int i = 0; i < n; i++) {
        int t = 0;
        while (t < 3 && strcmp(fact_tables[t], names[i]) != 0)
            t++;
        if (t < 3) continue;
        for (int d = 0; d < 4; d++) {
            if (strcmp(tables[d], names[i]) == 0)
                return cli_usage(c, "retain: %s is a dimension; dimensions are kept", names[i]);
        }
        return cli_unknown_name(c, "fact table", names[i], fact_tables, 3);
    }
    colstore_store *store = NULL;
    int rc = open_store(c, &store);
    if (rc >= 0) return rc;
    colstore_retain_options o = COLSTORE_RETAIN_OPTIONS_INIT;
    o.before = before;
    o.tables = n > 0 ? names : NULL;
    o.ntables = (size_t)n;
    colstore_retain_stats st = COLSTORE_RETAIN_STATS_INIT;
    rc = colstore_retain(store, &o, &st, &err);
    colstore_close(store);
    if (rc != COLSTORE_OK) return cli_fail(c, rc, &err);
    if (st.version == 0) {
        fprintf(stderr, "colload: retain: nothing before %s, nothing committed (%.2f s)\n", before,
                st.seconds);
        return CLI_OK;
    }
    fprintf(stderr,
            "colload: retain: %llu partitions (%llu rows) before %s dropped, daily aggregates of "
            "%llu days updated, commit %llu, %.2f s\n",
            (unsigned long long)st.partitions_dropped, (unsigned long long)st.rows_dropped, before,
            (unsigned long long)st.agg_days, (unsigned long long)st.version, st.seconds);
    return CLI_OK;
}

/* colload compact [--auto]: colstore_compact(), one summary line. */
static int cmd_compact(struct cli *c)
{
    if (c->npos > 1) return cli_usage(c, "compact takes no operand");
    colstore_store *store = NULL;
    int rc = open_store(c, &store);
    if (rc >= 0) return rc;
    colstore_compact_options o = COLSTORE_COMPACT_OPTIONS_INIT;
    o.automatic = cli_given(c, O_AUTO);
    colstore_compact_stats st = COLSTORE_COMPACT_STATS_INIT;
    colstore_error err;
    rc = colstore_compact(store, &o, &st, &err);
    colstore_close(store);
    if (rc != COLSTORE_OK) {
        cli_fail(c, rc, &err);
        fputs("colload: the store is unchanged\n", stderr);
        return cli_exit_code(rc);
    }
    if (!st.committed) {
        fprintf(stderr,
                "colload: compact: nothing to do (%llu bytes in %u data files, %llu dead)\n",
                (unsigned long long)st.bytes_before, st.files_before,
                (unsigned long long)st.dead_bytes_before);
        return CLI_OK;
    }
    fprintf(stderr,
            "colload: compact: commit %llu: %llu -> %llu bytes, %u -> %u data files (%llu dead "
            "bytes before); %u blocks copied, %u days merged, %u row groups merged\n",
            (unsigned long long)st.version, (unsigned long long)st.bytes_before,
            (unsigned long long)st.bytes_after, st.files_before, st.files_after,
            (unsigned long long)st.dead_bytes_before, st.blocks_copied, st.partitions_merged,
            st.groups_merged);
    return CLI_OK;
}

/* Subcommands: the first operand. Anything else is a table name (cmd_load). */
static const struct command {
    const char *name;
    int (*run)(struct cli *c);
    uint64_t options; /* the options that apply */
} commands[] = {
    {"nightly", cmd_nightly, NIGHTLY_OPTS},
    {"pull", cmd_pull, PULL_OPTS},
    {"retain", cmd_retain, CLI_BIT(O_BEFORE) | CLI_BIT(O_NO_AUTO_COMPACT)},
    {"compact", cmd_compact, CLI_BIT(O_AUTO)},
};

int main(int argc, char **argv)
{
    cli_huge_heap();
    struct cli c = {.prog = "colload", .usage = usage, .opt = opts, .nopt = O_COUNT};
    int rc = cli_parse(&c, argc, argv);
    if (rc >= 0) return rc;
    if (c.npos == 0) return cli_usage(&c, "TABLE and FILE are required");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(c.pos[0], commands[i].name) != 0) continue;
        rc = cli_only(&c, commands[i].options | CLI_BIT(O_STORE), commands[i].name);
        return rc >= 0 ? rc : commands[i].run(&c);
    }
    return cmd_load(&c);
}
