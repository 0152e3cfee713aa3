/*
 * colquery: the standard reports, dumps and integrity checks of a store (docs/cli.md).
 *
 *   colquery [--store DIR] [--format table|csv|json] REPORT [--as-of D] [--days N] [--year Y]
 *            [--from D] [--to D] [--recompute]
 *   colquery [--store DIR] dump TABLE [--format text|csv]
 *   colquery [--store DIR] verify
 *   colquery [--store DIR] [--format table|csv|json] info [TABLE]
 *   colquery [--store DIR] export --format parquet --out DIR [--from D] [--to D]
 *            [--compression lz4|none] [TABLE...]
 *   colquery [--store DIR] backup DEST [--copy]
 *
 * The first operand is a command (`commands` below): a report or a subcommand. Each command
 * lists the options that apply to it; any other option is a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/colstore.h"
#include "tools/cli.h"
#include "tools/info.h"

static const char usage[] =
    "usage: colquery [--store DIR] [--format table|csv|json] REPORT [options]\n"
    "       colquery [--store DIR] dump TABLE [--format text|csv]\n"
    "       colquery [--store DIR] verify\n"
    "       colquery [--store DIR] [--format table|csv|json] info [TABLE]\n"
    "       colquery [--store DIR] export --format parquet --out DIR [--from DATE] [--to DATE]\n"
    "                [--compression lz4|none] [TABLE...]\n"
    "       colquery [--store DIR] backup DEST [--copy]\n"
    "\n"
    "Reports (their numbers equal PostgreSQL's reference queries, docs/reports.md):\n"
    "  agent-performance   --as-of DATE (today, UTC) --days N (7)\n"
    "  approval-queue      --year Y (the current UTC year)\n"
    "  training-quality    --as-of DATE (today, UTC) --days N (30)\n"
    "  daily-agg           --from DATE --to DATE (both yesterday, UTC) [--recompute]\n"
    "\n"
    "Commands:\n"
    "  dump TABLE          TABLE as `COPY (SELECT * FROM TABLE ORDER BY key) TO STDOUT` prints it\n"
    "  verify              read every file of the store and check every checksum and size\n"
    "  info [TABLE]        the store's tables (rows, days, partitions, bytes, last commit), or\n"
    "                      TABLE's columns (types, encodings, bytes) and partitions\n"
    "  export [TABLE...]   the tables (all, or those named) as Parquet under --out: fact tables\n"
    "                      Hive-partitioned by day (OUT/fact_agent_query/time_key=20250101/\n"
    "                      part-0.parquet), the others as OUT/TABLE.parquet, _SUCCESS last.\n"
    "                      --out must be missing, empty or a previous export (replaced)\n"
    "  backup DEST         a consistent copy of the newest commit as a store in DEST (new or\n"
    "                      empty), while loads go on: data files hard-linked where DEST is on\n"
    "                      the same file system (--copy: always copied), the manifest last\n"
    "\n"
    "Options:\n"
    "  --store DIR         the store; default $COLSTORE_DIR\n"
    "  --format F          reports: table (default, as psql), csv (as psql --csv), json;\n"
    "                      dump: text (default, as COPY) or csv (as COPY ... CSV HEADER);\n"
    "                      export: parquet\n"
    "  --out DIR           export: the output directory\n"
    "  --compression C     export: lz4 (LZ4_RAW pages where that pays, the default) or none\n"
    "  --as-of DATE        the last day of the window (YYYY-MM-DD)\n"
    "  --days N            the window is [as-of - N, as-of]\n"
    "  --year Y            approval-queue's year\n"
    "  --from DATE         daily-agg's first day; export: the first day of the facts\n"
    "  --to DATE           daily-agg's last day; export: the last day of the facts\n"
    "  --recompute         daily-agg from the facts instead of the materialized rows\n"
    "  --copy              backup: copy the data files instead of hard-linking them\n"
    "  -h, --help          print this help and exit\n"
    "  -V, --version       print the version and exit\n"
    "\n"
    "Exit codes: 0 ok, 1 bad input (a parameter's value), 2 usage, 3 I/O or system error,\n"
    "4 damaged store.\n";

enum {
    O_STORE,
    O_FORMAT,
    O_AS_OF,
    O_DAYS,
    O_YEAR,
    O_FROM,
    O_TO,
    O_RECOMPUTE,
    O_OUT,
    O_COMPRESSION,
    O_COPY,
    O_COUNT
};
static const struct cli_opt opts[O_COUNT] = {
    [O_STORE] = {"store", "DIR"},  [O_FORMAT] = {"format", "FORMAT"},
    [O_AS_OF] = {"as-of", "DATE"}, [O_DAYS] = {"days", "N"},
    [O_YEAR] = {"year", "YEAR"},   [O_FROM] = {"from", "DATE"},
    [O_TO] = {"to", "DATE"},       [O_RECOMPUTE] = {"recompute", NULL},
    [O_OUT] = {"out", "DIR"},      [O_COMPRESSION] = {"compression", "lz4|none"},
    [O_COPY] = {"copy", NULL},
};

/* What a command gets: the parsed command line and the open store. */
struct ctx {
    struct cli *c;
    const char *dir; /* the store's directory */
    colstore_store *store;
    colstore_error err;
};

/* A date option's value, checked here so that the message names the flag. */
static int date_opt(struct ctx *q, int id, const char **out, int32_t *days)
{
    *out = q->c->val[id];
    if (*out == NULL) return -1;
    if (colstore_parse_date(*out, days, &q->err) == COLSTORE_OK) return -1;
    return cli_error(q->c, CLI_INPUT, "--%s: %s", opts[id].name, q->err.message);
}

static int int_opt(struct ctx *q, int id, long lo, long hi, int *out)
{
    long n;
    if (q->c->val[id] == NULL) return -1;
    if (!cli_parse_int(q->c->val[id], lo, hi, &n))
        return cli_error(q->c, CLI_INPUT, "--%s: invalid value \"%s\" (a whole number %ld..%ld)",
                         opts[id].name, q->c->val[id], lo, hi);
    *out = (int)n;
    return -1;
}

static int output_format(struct ctx *q, enum colstore_output *out)
{
    const char *f = q->c->val[O_FORMAT];
    if (f == NULL || strcmp(f, "table") == 0)
        *out = COLSTORE_OUTPUT_TABLE;
    else if (strcmp(f, "csv") == 0)
        *out = COLSTORE_OUTPUT_CSV;
    else if (strcmp(f, "json") == 0)
        *out = COLSTORE_OUTPUT_JSON;
    else
        return cli_usage(q->c, "--format must be table, csv or json, not \"%s\"", f);
    return -1;
}

/* The exit code of a library call's rc (its message printed when it failed). */
static int done(struct ctx *q, int rc)
{
    return rc == COLSTORE_OK ? CLI_OK : cli_fail(q->c, rc, &q->err);
}

/* The table a report reads its days from (the window is on its time_key). */
static const char *report_table(const char *name, bool recompute)
{
    if (strcmp(name, "approval-queue") == 0) return "fact_approval";
    if (strcmp(name, "training-quality") == 0) return "fact_training";
    if (strcmp(name, "daily-agg") == 0 && !recompute) return "agg_agent_daily_performance";
    return "fact_agent_query";
}

/* The days [lo, hi] a report's parameters select (the library's defaults when not given). */
static void report_window(const char *name, const colstore_report_params *p, int64_t w[2])
{
    const int64_t today = (int64_t)time(NULL) / 86400;
    int32_t d = 0;
    if (strcmp(name, "approval-queue") == 0) {
        char y[16];
        cli_date_text(today, y);
        const int year = p->year != 0 ? p->year : atoi(y);
        w[0] = cli_key_days(year * 10000 + 101);
        w[1] = cli_key_days(year * 10000 + 1231);
    } else if (strcmp(name, "daily-agg") == 0) {
        w[0] = p->from != NULL && colstore_parse_date(p->from, &d, NULL) == COLSTORE_OK ? d
                                                                                        : today - 1;
        w[1] = p->to != NULL && colstore_parse_date(p->to, &d, NULL) == COLSTORE_OK ? d : today - 1;
    } else {
        w[1] =
            p->as_of != NULL && colstore_parse_date(p->as_of, &d, NULL) == COLSTORE_OK ? d : today;
        const int days = p->days >= 0 ? p->days : strcmp(name, "agent-performance") == 0 ? 7 : 30;
        w[0] = w[1] - days;
    }
}

/* empty_window_hint() - a report that printed no row because its window lies outside the
 * days the store holds says on stderr where the data is. */
static void empty_window_hint(struct ctx *q,
                              colstore_snapshot *snap,
                              const char *name,
                              const colstore_report_params *p)
{
    const char *table = report_table(name, p->recompute);
    colstore_table_info ti = COLSTORE_TABLE_INFO_INIT;
    if (colstore_table_describe(snap, table, &ti, NULL) != COLSTORE_OK) return;
    int64_t w[2];
    report_window(name, p, w);
    char lo[16], hi[16], first[16], last[16];
    cli_date_text(w[0], lo);
    cli_date_text(w[1], hi);
    if (ti.partitions == 0) {
        fprintf(stderr, "%s: %s: no rows: %s is empty (load it with colload)\n", q->c->prog, name,
                table);
        return;
    }
    const int64_t f = cli_key_days(ti.first_time_key), l = cli_key_days(ti.last_time_key);
    if (w[1] >= f && w[0] <= l) return; /* the window holds data; the report found no match */
    cli_date_text(f, first);
    cli_date_text(l, last);
    char try_[96];
    if (strcmp(name, "approval-queue") == 0)
        snprintf(try_, sizeof(try_), "--year %.4s", last);
    else if (strcmp(name, "daily-agg") == 0)
        snprintf(try_, sizeof(try_), "--from %s --to %s", first, last);
    else
        snprintf(try_, sizeof(try_), "--as-of %s", last);
    fprintf(stderr, "%s: %s: no rows in %s..%s; %s holds %s..%s (try %s)\n", q->c->prog, name, lo,
            hi, table, first, last, try_);
}

static int run_report(struct ctx *q, const char *name)
{
    colstore_report_params p = COLSTORE_REPORT_PARAMS_INIT;
    enum colstore_output out = COLSTORE_OUTPUT_TABLE;
    int rc = output_format(q, &out);
    int32_t as_of = 0, from = 0, to = 0;
    if (rc < 0) rc = date_opt(q, O_AS_OF, &p.as_of, &as_of);
    if (rc < 0) rc = date_opt(q, O_FROM, &p.from, &from);
    if (rc < 0) rc = date_opt(q, O_TO, &p.to, &to);
    if (rc < 0 && p.from != NULL && p.to != NULL && from > to)
        rc = cli_error(q->c, CLI_INPUT, "--from %s is after --to %s: the range is empty", p.from,
                       p.to);
    if (rc < 0) rc = int_opt(q, O_DAYS, 0, 100000, &p.days);
    if (rc < 0) rc = int_opt(q, O_YEAR, 1, 9999, &p.year);
    if (rc >= 0) return rc;
    p.recompute = cli_given(q->c, O_RECOMPUTE);
    colstore_result *res = NULL;
    /* one snapshot: the report and the hint below see the same state */
    colstore_snapshot *snap = NULL;
    rc = colstore_snapshot_open(q->store, &snap, &q->err);
    if (rc == COLSTORE_OK) rc = colstore_snapshot_report(snap, name, &p, &res, &q->err);
    if (rc == COLSTORE_OK) rc = colstore_result_write(res, stdout, out, &q->err);
    if (rc == COLSTORE_OK && colstore_result_rows(res) == 0) empty_window_hint(q, snap, name, &p);
    colstore_result_free(res);
    colstore_snapshot_close(snap);
    return done(q, rc);
}

static int cmd_agent_performance(struct ctx *q)
{
    return run_report(q, "agent-performance");
}
static int cmd_approval_queue(struct ctx *q)
{
    return run_report(q, "approval-queue");
}
static int cmd_training_quality(struct ctx *q)
{
    return run_report(q, "training-quality");
}
static int cmd_daily_agg(struct ctx *q)
{
    return run_report(q, "daily-agg");
}

static int cmd_dump(struct ctx *q)
{
    enum colstore_format fmt = COLSTORE_FORMAT_TEXT;
    const char *f = q->c->val[O_FORMAT];
    if (f != NULL && strcmp(f, "csv") == 0)
        fmt = COLSTORE_FORMAT_CSV;
    else if (f != NULL && strcmp(f, "text") != 0)
        return cli_usage(q->c, "dump --format must be text or csv, not \"%s\"", f);
    return done(q, colstore_dump(q->store, q->c->pos[1], fmt, stdout, &q->err));
}

/* A table operand: the nearest valid name when it is none. */
static int check_table(struct ctx *q, const char *table)
{
    const char *names[16];
    int n = 0;
    for (size_t i = 0; i < colstore_table_count() && n < 16; i++) {
        names[n] = colstore_table_name(i);
        if (strcmp(names[n++], table) == 0) return -1;
    }
    return cli_unknown_name(q->c, "table", table, names, n);
}

static int cmd_info(struct ctx *q)
{
    enum colstore_output out = COLSTORE_OUTPUT_TABLE;
    int rc = output_format(q, &out);
    const char *table = q->c->npos > 1 ? q->c->pos[1] : NULL;
    if (rc < 0 && table != NULL) rc = check_table(q, table);
    if (rc >= 0) return rc;
    return done(q, info_print(q->store, q->dir, table, out, &q->err));
}

static void on_damage(void *ctx, const char *file, const char *reason)
{
    int *count = ctx;
    (*count)++;
    printf("%s: %s\n", file, reason);
}

static int cmd_verify(struct ctx *q)
{
    int damaged = 0;
    int rc = colstore_verify(q->store, on_damage, &damaged, &q->err);
    if (rc == COLSTORE_OK)
        printf("ok: every file of the store checked\n");
    else if (rc == COLSTORE_ECORRUPT && damaged > 0)
        printf("%d damaged file(s)\n", damaged);
    return done(q, rc);
}

static int cmd_export(struct ctx *q)
{
    const char *f = q->c->val[O_FORMAT];
    if (f != NULL && strcmp(f, "parquet") != 0)
        return cli_usage(q->c, "export --format must be parquet, not \"%s\"", f);
    if (q->c->val[O_OUT] == NULL) return cli_usage(q->c, "export needs --out DIR");
    colstore_export_options o = COLSTORE_EXPORT_OPTIONS_INIT;
    const char *comp = q->c->val[O_COMPRESSION];
    if (comp != NULL && strcmp(comp, "none") == 0)
        o.compression = COLSTORE_COMPRESSION_NONE;
    else if (comp != NULL && strcmp(comp, "lz4") != 0)
        return cli_usage(q->c, "--compression must be lz4 or none, not \"%s\"", comp);
    int32_t from = 0, to = 0;
    int rc = date_opt(q, O_FROM, &o.from, &from);
    if (rc < 0) rc = date_opt(q, O_TO, &o.to, &to);
    if (rc < 0 && o.from != NULL && o.to != NULL && from > to)
        rc = cli_error(q->c, CLI_INPUT, "--from %s is after --to %s: the range is empty", o.from,
                       o.to);
    if (rc >= 0) return rc;
    if (q->c->npos > 1) {
        o.tables = (const char *const *)q->c->pos + 1;
        o.ntables = (size_t)(q->c->npos - 1);
    }
    colstore_snapshot *snap = NULL;
    colstore_export_stats st = COLSTORE_EXPORT_STATS_INIT;
    rc = colstore_snapshot_open(q->store, &snap, &q->err);
    if (rc == COLSTORE_OK) rc = colstore_export(snap, q->c->val[O_OUT], &o, &st, &q->err);
    colstore_snapshot_close(snap);
    if (rc == COLSTORE_OK)
        fprintf(stderr, "colquery: exported %llu rows into %llu files, %llu bytes, in %.2f s\n",
                (unsigned long long)st.rows, (unsigned long long)st.files,
                (unsigned long long)st.bytes, st.seconds);
    return done(q, rc);
}

/* colquery backup DEST: colstore_backup() of a snapshot of the newest commit. */
static int cmd_backup(struct ctx *q)
{
    colstore_backup_options o = COLSTORE_BACKUP_OPTIONS_INIT;
    o.copy = cli_given(q->c, O_COPY);
    colstore_snapshot *snap = NULL;
    colstore_backup_stats st = COLSTORE_BACKUP_STATS_INIT;
    int rc = colstore_snapshot_open(q->store, &snap, &q->err);
    if (rc == COLSTORE_OK) rc = colstore_backup(snap, q->c->pos[1], &o, &st, &q->err);
    colstore_snapshot_close(snap);
    if (rc == COLSTORE_OK)
        fprintf(stderr,
                "colquery: backup of commit %llu into %s: %llu data files (%llu hard-linked, "
                "%llu copied), %llu bytes, %.2f s\n",
                (unsigned long long)st.version, q->c->pos[1], (unsigned long long)st.files,
                (unsigned long long)st.linked, (unsigned long long)st.copied,
                (unsigned long long)st.bytes, st.seconds);
    return done(q, rc);
}

#define REPORT_OPTS (CLI_BIT(O_FORMAT))
#define WINDOW_OPTS (REPORT_OPTS | CLI_BIT(O_AS_OF) | CLI_BIT(O_DAYS))

static const struct command {
    const char *name;
    int (*run)(struct ctx *q);
    uint64_t options; /* the options that apply (--store always does) */
    int operands;     /* after the command's name; -1: any number, -2: none or one */
    const char *operand_name;
} commands[] = {
    {"agent-performance", cmd_agent_performance, WINDOW_OPTS, 0, NULL},
    {"approval-queue", cmd_approval_queue, REPORT_OPTS | CLI_BIT(O_YEAR), 0, NULL},
    {"training-quality", cmd_training_quality, WINDOW_OPTS, 0, NULL},
    {"daily-agg", cmd_daily_agg,
     REPORT_OPTS | CLI_BIT(O_FROM) | CLI_BIT(O_TO) | CLI_BIT(O_RECOMPUTE), 0, NULL},
    {"dump", cmd_dump, CLI_BIT(O_FORMAT), 1, "TABLE"},
    {"verify", cmd_verify, 0, 0, NULL},
    {"info", cmd_info, CLI_BIT(O_FORMAT), -2, "TABLE"},
    {"export", cmd_export,
     CLI_BIT(O_FORMAT) | CLI_BIT(O_OUT) | CLI_BIT(O_FROM) | CLI_BIT(O_TO) | CLI_BIT(O_COMPRESSION),
     -1, "TABLE"},
    {"backup", cmd_backup, CLI_BIT(O_COPY), 1, "DEST directory"},
};
#define NCOMMANDS ((int)(sizeof(commands) / sizeof(commands[0])))

static int run_command(struct cli *c, const struct command *cmd)
{
    int rc = cli_only(c, cmd->options | CLI_BIT(O_STORE), cmd->name);
    if (rc >= 0) return rc;
    if (cmd->operands >= 0 && c->npos - 1 < cmd->operands)
        return cli_usage(c, "%s needs a %s", cmd->name, cmd->operand_name);
    if (cmd->operands >= 0 && c->npos - 1 > cmd->operands)
        return cli_usage(c, "unexpected argument %s", c->pos[cmd->operands + 1]);
    if (cmd->operands == -2 && c->npos > 2) /* an optional operand */
        return cli_usage(c, "unexpected argument %s", c->pos[2]);
    const char *dir = cli_store_dir(c->val[O_STORE]);
    if (dir == NULL) return cli_usage(c, "--store DIR (or COLSTORE_DIR) is required");
    struct ctx q = {.c = c, .dir = dir};
    /* one command, then exit: segments are read, not mapped */
    rc = colstore_open(dir, COLSTORE_READ_ONLY | COLSTORE_READ_ONCE, &q.store, &q.err);
    if (rc != COLSTORE_OK) return cli_fail(c, rc, &q.err);
    rc = cmd->run(&q);
    colstore_close(q.store);
    if (fflush(stdout) != 0 && rc == CLI_OK)
        return cli_error(c, CLI_IO, "could not write the output");
    return rc;
}

int main(int argc, char **argv)
{
    struct cli c = {.prog = "colquery", .usage = usage, .opt = opts, .nopt = O_COUNT};
    int rc = cli_parse(&c, argc, argv);
    if (rc >= 0) return rc;
    if (c.npos == 0) return cli_usage(&c, "a REPORT, dump, verify or export is required");
    for (int i = 0; i < NCOMMANDS; i++) {
        if (strcmp(c.pos[0], commands[i].name) == 0) return run_command(&c, &commands[i]);
    }
    const char *names[NCOMMANDS];
    for (int i = 0; i < NCOMMANDS; i++)
        names[i] = commands[i].name;
    return cli_unknown_name(&c, "report or command", c.pos[0], names, NCOMMANDS);
}
