/*
 * colquery: the standard reports, dumps and integrity checks of a store (SPEC 4, 5).
 *
 *   colquery --store DIR [--format table|csv|json] REPORT [--as-of D] [--days N] [--year Y]
 *            [--from D] [--to D] [--recompute]
 *   colquery --store DIR dump TABLE [--format text|csv]
 *   colquery --store DIR verify
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/colstore.h"
#include "tools/cli.h"

static const char usage[] =
    "usage: colquery --store DIR [--format table|csv|json] REPORT [options]\n"
    "       colquery --store DIR dump TABLE [--format text|csv]\n"
    "       colquery --store DIR verify\n"
    "\n"
    "Reports (SPEC 4; numbers equal PostgreSQL's reference queries):\n"
    "  agent-performance   --as-of DATE (today, UTC) --days N (7)\n"
    "  approval-queue      --year Y (the current UTC year)\n"
    "  training-quality    --as-of DATE (today, UTC) --days N (30)\n"
    "  daily-agg           --from DATE --to DATE (both yesterday, UTC) [--recompute]\n"
    "\n"
    "  --store DIR     the store; default $COLSTORE_DIR\n"
    "  --format F      reports: table (default), csv (as psql --csv), json;\n"
    "                  dump: text (default, as COPY) or csv (as COPY ... CSV HEADER)\n"
    "\n"
    "dump writes TABLE as `COPY (SELECT * FROM TABLE ORDER BY key) TO STDOUT` prints it.\n"
    "verify reads every file of the store and checks every checksum and size.\n"
    "\n"
    "Exit codes: 0 ok, 1 bad input, 2 usage, 3 I/O or system error, 4 damaged store.\n";

struct args {
    const char *store, *format, *cmd, *table;
    colstore_report_params p;
};

static int value_opt(const char *s, const char *v, struct args *a)
{
    long n;
    if (strcmp(s, "--store") == 0) a->store = v;
    else if (strcmp(s, "--format") == 0) a->format = v;
    else if (strcmp(s, "--as-of") == 0) a->p.as_of = v;
    else if (strcmp(s, "--from") == 0) a->p.from = v;
    else if (strcmp(s, "--to") == 0) a->p.to = v;
    else if (strcmp(s, "--days") == 0) {
        if (!cli_parse_int(v, 0, 100000, &n))
            return fprintf(stderr, "colquery: --days: invalid number \"%s\"\n", v), -1;
        a->p.days = (int)n;
    } else if (strcmp(s, "--year") == 0) {
        if (!cli_parse_int(v, 1, 9999, &n))
            return fprintf(stderr, "colquery: --year: invalid year \"%s\"\n", v), -1;
        a->p.year = (int)n;
    } else {
        return 1;
    }
    return 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            fputs(usage, stdout);
            exit(0);
        }
        if (strcmp(s, "--recompute") == 0) {
            a->p.recompute = true;
            continue;
        }
        if (s[0] == '-' && s[1] == '-') {
            if (i + 1 >= argc) return fprintf(stderr, "colquery: %s needs a value\n", s), -1;
            int rc = value_opt(s, argv[i + 1], a);
            if (rc < 0) return -1;
            if (rc > 0) return fprintf(stderr, "colquery: unknown option %s\n", s), -1;
            i++;
        } else if (a->cmd == NULL) {
            a->cmd = s;
        } else if (strcmp(a->cmd, "dump") == 0 && a->table == NULL) {
            a->table = s;
        } else {
            return fprintf(stderr, "colquery: unexpected argument %s\n", s), -1;
        }
    }
    if (a->cmd == NULL) return fprintf(stderr, "colquery: a REPORT, dump or verify is required\n"), -1;
    if (strcmp(a->cmd, "dump") == 0 && a->table == NULL)
        return fprintf(stderr, "colquery: dump needs a TABLE\n"), -1;
    a->store = cli_store_dir(a->store);
    if (a->store == NULL) return fprintf(stderr, "colquery: --store DIR (or COLSTORE_DIR) is required\n"), -1;
    return 0;
}

static void on_damage(void *ctx, const char *file, const char *reason)
{
    int *count = ctx;
    (*count)++;
    printf("%s: %s\n", file, reason);
}

static int run_dump(colstore_store *store, const struct args *a, colstore_error *err)
{
    int fmt = COLSTORE_FORMAT_TEXT;
    if (a->format != NULL && strcmp(a->format, "csv") == 0) fmt = COLSTORE_FORMAT_CSV;
    else if (a->format != NULL && strcmp(a->format, "text") != 0)
        return fprintf(stderr, "colquery: dump --format must be text or csv\n"), -2;
    return colstore_dump(store, a->table, fmt, stdout, err);
}

static int run_verify(colstore_store *store, colstore_error *err)
{
    int damaged = 0;
    int rc = colstore_verify(store, on_damage, &damaged, err);
    if (rc == COLSTORE_OK) printf("ok: every file of the store checked\n");
    else if (rc == COLSTORE_ECORRUPT && damaged > 0) printf("%d damaged file(s)\n", damaged);
    return rc;
}

static int run_report(colstore_store *store, const struct args *a, colstore_error *err)
{
    int out = COLSTORE_OUTPUT_TABLE;
    if (a->format == NULL || strcmp(a->format, "table") == 0) out = COLSTORE_OUTPUT_TABLE;
    else if (strcmp(a->format, "csv") == 0) out = COLSTORE_OUTPUT_CSV;
    else if (strcmp(a->format, "json") == 0) out = COLSTORE_OUTPUT_JSON;
    else return fprintf(stderr, "colquery: --format must be table, csv or json\n"), -2;
    colstore_result *res = NULL;
    int rc = colstore_report(store, a->cmd, &a->p, &res, err);
    if (rc == COLSTORE_OK) rc = colstore_result_write(res, stdout, out, err);
    colstore_result_free(res);
    return rc;
}

int main(int argc, char **argv)
{
    struct args a;
    memset(&a, 0, sizeof(a));
    a.p.days = -1; /* the report's default */
    if (parse_args(argc, argv, &a) != 0) {
        fputs("Try 'colquery --help'.\n", stderr);
        return CLI_USAGE;
    }
    colstore_error err = {0};
    colstore_store *store = NULL;
    /* one command, then exit: segments are read, not mapped */
    int rc = colstore_open(a.store, COLSTORE_READ_ONLY | COLSTORE_READ_ONCE, &store, &err);
    if (rc != COLSTORE_OK) {
        fprintf(stderr, "colquery: %s\n", err.message);
        return cli_exit_code(rc);
    }
    if (strcmp(a.cmd, "dump") == 0) rc = run_dump(store, &a, &err);
    else if (strcmp(a.cmd, "verify") == 0) rc = run_verify(store, &err);
    else rc = run_report(store, &a, &err);
    colstore_close(store);
    if (rc == -2) return CLI_USAGE;
    if (fflush(stdout) != 0 && rc == COLSTORE_OK) {
        fprintf(stderr, "colquery: could not write the output\n");
        return CLI_IO;
    }
    if (rc != COLSTORE_OK) {
        if (err.message[0] != '\0') fprintf(stderr, "colquery: %s\n", err.message);
        return cli_exit_code(rc);
    }
    return CLI_OK;
}
