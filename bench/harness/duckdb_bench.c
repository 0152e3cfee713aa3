/*
 * duckdb_bench: the DuckDB side of the end-to-end benchmark (bench/harness/run.sh).
 *
 * DuckDB ships no C header in its npm package (@duckdb/node-bindings-linux-x64 carries only
 * libduckdb.so), so this program dlopen()s the library and declares the handful of C API
 * functions it calls, with the struct layouts of DuckDB's duckdb.h (duckdb_result is six
 * pointer-sized words; databases, connections and configs are opaque pointers).
 *
 *   duckdb_bench [--lib PATH] load  DB CSVDIR           create the tables, COPY every CSV in,
 *                                                       build the daily aggregates, checkpoint
 *   duckdb_bench [--lib PATH] query DB REPORT [params]  run one report once, print it as CSV
 *   duckdb_bench [--lib PATH] embed DB REPORT [params] [--iters N] [--warmup W] [--max-seconds S]
 *                                                       run a report N times in one connection,
 *                                                       print median / p10 / p90 per call (ms)
 *   duckdb_bench [--lib PATH] sql   DB "SQL"            run any statement, print the result
 *   duckdb_bench [--lib PATH] version
 *
 * REPORT is agent-performance, approval-queue, training-quality, daily-agg (the materialized
 * rows), daily-agg-recompute, type-month (fdw.sh's ad-hoc GROUP BY agent_type, month), or noop
 * (SELECT 1: the cost of starting and opening); params: --as-of DATE --days N --year Y
 * --from DATE --to DATE.
 * The SQL is reference.sql translated to DuckDB: the same joins, filters, groups and order.
 * DuckDB divides decimals in double precision, so its last digits may differ from
 * PostgreSQL's numeric; that changes nothing in the work done.
 *
 * The library path comes from --lib, else $DUCKDB_LIB, else "libduckdb.so". Threads: 2
 * (DUCKDB_THREADS overrides).
 */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the minimal C API (layouts as in duckdb.h) ---- */
typedef uint64_t idx_t;
typedef void *duckdb_database;   /* struct _duckdb_database * */
typedef void *duckdb_connection; /* struct _duckdb_connection * */
typedef void *duckdb_config;     /* struct _duckdb_config * */
typedef struct {
    idx_t deprecated_column_count;
    idx_t deprecated_row_count;
    idx_t deprecated_rows_changed;
    void *deprecated_columns;
    char *deprecated_error_message;
    void *internal_data;
} duckdb_result;
typedef int duckdb_state; /* DuckDBSuccess = 0, DuckDBError = 1 */

static struct {
    duckdb_state (*open_ext)(const char *, duckdb_database *, duckdb_config, char **);
    duckdb_state (*create_config)(duckdb_config *);
    duckdb_state (*set_config)(duckdb_config, const char *, const char *);
    void (*destroy_config)(duckdb_config *);
    void (*close)(duckdb_database *);
    duckdb_state (*connect)(duckdb_database, duckdb_connection *);
    void (*disconnect)(duckdb_connection *);
    duckdb_state (*query)(duckdb_connection, const char *, duckdb_result *);
    void (*destroy_result)(duckdb_result *);
    const char *(*result_error)(duckdb_result *);
    idx_t (*row_count)(duckdb_result *);
    idx_t (*column_count)(duckdb_result *);
    const char *(*column_name)(duckdb_result *, idx_t);
    char *(*value_varchar)(duckdb_result *, idx_t, idx_t);
    bool (*value_is_null)(duckdb_result *, idx_t, idx_t);
    void (*free)(void *);
    const char *(*library_version)(void);
} api;

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("duckdb_bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(3);
}

static void *sym(void *lib, const char *name)
{
    void *p = dlsym(lib, name);
    if (!p) die("%s: %s", name, dlerror());
    return p;
}

static void load_api(const char *path)
{
    void *lib = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
    if (!lib) die("dlopen %s: %s", path, dlerror());
    *(void **)&api.open_ext = sym(lib, "duckdb_open_ext");
    *(void **)&api.create_config = sym(lib, "duckdb_create_config");
    *(void **)&api.set_config = sym(lib, "duckdb_set_config");
    *(void **)&api.destroy_config = sym(lib, "duckdb_destroy_config");
    *(void **)&api.close = sym(lib, "duckdb_close");
    *(void **)&api.connect = sym(lib, "duckdb_connect");
    *(void **)&api.disconnect = sym(lib, "duckdb_disconnect");
    *(void **)&api.query = sym(lib, "duckdb_query");
    *(void **)&api.destroy_result = sym(lib, "duckdb_destroy_result");
    *(void **)&api.result_error = sym(lib, "duckdb_result_error");
    *(void **)&api.row_count = sym(lib, "duckdb_row_count");
    *(void **)&api.column_count = sym(lib, "duckdb_column_count");
    *(void **)&api.column_name = sym(lib, "duckdb_column_name");
    *(void **)&api.value_varchar = sym(lib, "duckdb_value_varchar");
    *(void **)&api.value_is_null = sym(lib, "duckdb_value_is_null");
    *(void **)&api.free = sym(lib, "duckdb_free");
    *(void **)&api.library_version = sym(lib, "duckdb_library_version");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static duckdb_database db;
static duckdb_connection con;

static void db_open(const char *path, bool read_only)
{
    duckdb_config cfg;
    char *err = NULL;
    const char *threads = getenv("DUCKDB_THREADS");
    if (api.create_config(&cfg) != 0) die("duckdb_create_config failed");
    if (api.set_config(cfg, "threads", threads && *threads ? threads : "2") != 0)
        die("cannot set threads");
    if (read_only && api.set_config(cfg, "access_mode", "READ_ONLY") != 0)
        die("cannot set access_mode");
    if (api.open_ext(path, &db, cfg, &err) != 0) die("open %s: %s", path, err ? err : "?");
    api.destroy_config(&cfg);
    if (api.connect(db, &con) != 0) die("connect failed");
}

static void db_close(void)
{
    api.disconnect(&con);
    api.close(&db);
}

/* run(): execute sql; print its rows as CSV to out when out is not NULL. */
static void run(const char *sql, FILE *out)
{
    duckdb_result r;
    if (api.query(con, sql, &r) != 0) {
        fprintf(stderr, "duckdb_bench: %s\n--- in:\n%s\n", api.result_error(&r), sql);
        api.destroy_result(&r);
        exit(1);
    }
    if (out) {
        idx_t nc = api.column_count(&r), nr = api.row_count(&r);
        for (idx_t c = 0; c < nc; c++)
            fprintf(out, "%s%s", c ? "," : "", api.column_name(&r, c));
        fputc('\n', out);
        for (idx_t i = 0; i < nr; i++) {
            for (idx_t c = 0; c < nc; c++) {
                if (c) fputc(',', out);
                if (api.value_is_null(&r, c, i)) continue;
                char *v = api.value_varchar(&r, c, i);
                bool q = v && strpbrk(v, ",\"\n\r") != NULL;
                if (!q) {
                    fputs(v ? v : "", out);
                } else {
                    fputc('"', out);
                    for (const char *p = v; *p; p++) {
                        if (*p == '"') fputc('"', out);
                        fputc(*p, out);
                    }
                    fputc('"', out);
                }
                api.free(v);
            }
            fputc('\n', out);
        }
    }
    api.destroy_result(&r);
}

/* ---- schema: tests/sql/schema.sql in DuckDB types, without indexes or constraints (DuckDB
 * keeps zone maps per row group; ART indexes would only slow the load down). jsonb and
 * text[] are kept as their PostgreSQL text (VARCHAR): DuckDB's list cast does not read
 * PostgreSQL array literals. overall_score is a plain column: the exports carry it. ---- */
static const char *const schema_sql =
    "CREATE TABLE dim_agent (agent_key INTEGER, agent_name VARCHAR, agent_type VARCHAR,"
    " capabilities VARCHAR, sla_target_seconds INTEGER, cost_per_query_usd DECIMAL(10,6),"
    " valid_from TIMESTAMPTZ, valid_to TIMESTAMPTZ, is_current BOOLEAN);"
    "CREATE TABLE dim_time (time_key INTEGER, full_date DATE, year INTEGER, quarter INTEGER,"
    " month INTEGER, week INTEGER, day_of_month INTEGER, day_of_week INTEGER, day_of_year INTEGER,"
    " day_name VARCHAR, month_name VARCHAR, is_weekend BOOLEAN, is_holiday BOOLEAN,"
    " fiscal_year INTEGER, fiscal_quarter INTEGER, hour INTEGER, minute INTEGER);"
    "CREATE TABLE dim_conversation (conv_key INTEGER, conversation_id VARCHAR,"
    " first_seen_at TIMESTAMPTZ, last_seen_at TIMESTAMPTZ, total_queries INTEGER,"
    " total_approvals INTEGER, total_feedback INTEGER, metadata VARCHAR);"
    "CREATE TABLE dim_user (user_key INTEGER, user_id VARCHAR, user_type VARCHAR, team VARCHAR,"
    " valid_from TIMESTAMPTZ, valid_to TIMESTAMPTZ, is_current BOOLEAN);"
    "CREATE TABLE fact_agent_query (query_key BIGINT, agent_key INTEGER, time_key INTEGER,"
    " conv_key INTEGER, query_hash VARCHAR, result_size_bytes INTEGER, latency_ms INTEGER,"
    " approved BOOLEAN, human_edited BOOLEAN, error_occurred BOOLEAN, created_at TIMESTAMPTZ);"
    "CREATE TABLE fact_approval (approval_key BIGINT, agent_key INTEGER, time_key INTEGER,"
    " conv_key INTEGER, approved_by_key INTEGER, status VARCHAR, resolution_time_seconds INTEGER,"
    " interruption_count INTEGER, sla_met BOOLEAN, created_at TIMESTAMPTZ, resolved_at "
    "TIMESTAMPTZ);"
    "CREATE TABLE fact_training (training_key BIGINT, agent_key INTEGER, time_key INTEGER,"
    " conv_key INTEGER, annotator_key INTEGER, safe_to_send BOOLEAN, clarity_score INTEGER,"
    " accuracy_score INTEGER, tone_score INTEGER, overall_score DECIMAL(3,2), labels VARCHAR,"
    " created_at TIMESTAMPTZ, annotated_at TIMESTAMPTZ);"
    "CREATE TABLE agg_agent_daily_performance (agent_key INTEGER, time_key INTEGER,"
    " total_queries INTEGER, avg_latency_ms DECIMAL(10,2), p95_latency_ms DECIMAL(10,2),"
    " approval_rate_pct DECIMAL(5,2), edit_rate_pct DECIMAL(5,2), error_rate_pct DECIMAL(5,2),"
    " total_approvals INTEGER, total_feedback INTEGER, unsafe_feedback_count INTEGER,"
    " sla_compliance_pct DECIMAL(5,2));";

static const char *const tables[] = {"dim_agent",    "dim_time",         "dim_conversation",
                                     "dim_user",     "fact_agent_query", "fact_approval",
                                     "fact_training"};

/* ---- the reports (reference.sql in DuckDB's dialect) ---- */
struct params {
    const char *as_of, *from, *to;
    int days, year;
};

static int date_key(const char *d) /* "YYYY-MM-DD" -> YYYYMMDD */
{
    int y, m, dd;
    if (!d || sscanf(d, "%d-%d-%d", &y, &m, &dd) != 3) die("bad date %s", d ? d : "(none)");
    return y * 10000 + m * 100 + dd;
}

static const char *const daily_agg_select =
    "WITH q AS (SELECT f.agent_key, f.time_key, COUNT(*) AS total_queries,"
    "  ROUND(AVG(f.latency_ms), 2) AS avg_latency_ms,"
    "  PERCENTILE_CONT(0.95) WITHIN GROUP (ORDER BY f.latency_ms) AS p95_latency_ms,"
    "  ROUND(100.0 * COUNT(*) FILTER (WHERE f.approved = true) / COUNT(*), 2) AS approval_rate_pct,"
    "  ROUND(100.0 * COUNT(*) FILTER (WHERE f.human_edited = true) / COUNT(*), 2) AS edit_rate_pct,"
    "  ROUND(100.0 * COUNT(*) FILTER (WHERE f.error_occurred = true) / COUNT(*), 2) AS "
    "error_rate_pct"
    "  FROM fact_agent_query f WHERE f.time_key BETWEEN %d AND %d GROUP BY f.agent_key, "
    "f.time_key),"
    " a AS (SELECT f.agent_key, f.time_key, COUNT(*) AS total_approvals,"
    "  ROUND(100.0 * COUNT(*) FILTER (WHERE f.sla_met = true) / COUNT(*), 2) AS sla_compliance_pct"
    "  FROM fact_approval f WHERE f.agent_key IS NOT NULL AND f.time_key BETWEEN %d AND %d"
    "  GROUP BY f.agent_key, f.time_key),"
    " t AS (SELECT f.agent_key, f.time_key, COUNT(*) AS total_feedback,"
    "  COUNT(*) FILTER (WHERE f.safe_to_send = false) AS unsafe_feedback_count"
    "  FROM fact_training f WHERE f.agent_key IS NOT NULL AND f.time_key BETWEEN %d AND %d"
    "  GROUP BY f.agent_key, f.time_key),"
    " k AS (SELECT agent_key, time_key FROM q UNION SELECT agent_key, time_key FROM a"
    "  UNION SELECT agent_key, time_key FROM t)"
    " SELECT k.agent_key, k.time_key, COALESCE(q.total_queries, 0) AS total_queries,"
    "  q.avg_latency_ms, CAST(q.p95_latency_ms AS DECIMAL(10,2)) AS p95_latency_ms,"
    "  q.approval_rate_pct, q.edit_rate_pct, q.error_rate_pct,"
    "  COALESCE(a.total_approvals, 0) AS total_approvals, COALESCE(t.total_feedback, 0) AS "
    "total_feedback,"
    "  COALESCE(t.unsafe_feedback_count, 0) AS unsafe_feedback_count, a.sla_compliance_pct"
    " FROM k LEFT JOIN q USING (agent_key, time_key) LEFT JOIN a USING (agent_key, time_key)"
    " LEFT JOIN t USING (agent_key, time_key)";

static char *report_sql(const char *report, const struct params *p)
{
    static char buf[8192];
    char sel[6144];
    if (!strcmp(report, "noop")) {
        snprintf(buf, sizeof buf, "SELECT 1");
    } else if (!strcmp(report, "agent-performance")) {
        snprintf(buf, sizeof buf,
                 "SELECT d.full_date, a.agent_name, COUNT(*) AS total_queries,"
                 " ROUND(AVG(f.latency_ms), 2) AS avg_latency_ms,"
                 " ROUND(100.0 * COUNT(*) FILTER (WHERE f.approved = true) / COUNT(*), 2) AS "
                 "approval_rate_pct,"
                 " ROUND(100.0 * COUNT(*) FILTER (WHERE f.human_edited = true) / COUNT(*), 2) AS "
                 "edit_rate_pct"
                 " FROM fact_agent_query f JOIN dim_agent a ON f.agent_key = a.agent_key"
                 " JOIN dim_time d ON f.time_key = d.time_key"
                 " WHERE d.full_date BETWEEN DATE '%s' - %d AND DATE '%s'"
                 " GROUP BY d.full_date, a.agent_name ORDER BY d.full_date DESC, a.agent_name",
                 p->as_of, p->days ? p->days : 7, p->as_of);
    } else if (!strcmp(report, "approval-queue")) {
        snprintf(buf, sizeof buf,
                 "SELECT d.month_name, COUNT(*) AS total_approvals,"
                 " ROUND(AVG(f.resolution_time_seconds) / 60, 2) AS avg_resolution_minutes,"
                 " ROUND(100.0 * COUNT(*) FILTER (WHERE f.status = 'approved') / COUNT(*), 2) AS "
                 "approval_rate_pct,"
                 " ROUND(100.0 * COUNT(*) FILTER (WHERE f.sla_met = true) / COUNT(*), 2) AS "
                 "sla_compliance_pct"
                 " FROM fact_approval f JOIN dim_time d ON f.time_key = d.time_key"
                 " WHERE d.year = %d GROUP BY d.month, d.month_name ORDER BY d.month",
                 p->year);
    } else if (!strcmp(report, "training-quality")) {
        snprintf(buf, sizeof buf,
                 "SELECT u.user_id AS annotator, COUNT(*) AS total_annotations,"
                 " ROUND(AVG(f.overall_score), 2) AS avg_overall_score,"
                 " ROUND(AVG(f.clarity_score), 2) AS avg_clarity,"
                 " ROUND(AVG(f.accuracy_score), 2) AS avg_accuracy,"
                 " ROUND(AVG(f.tone_score), 2) AS avg_tone,"
                 " ROUND(100.0 * COUNT(*) FILTER (WHERE f.safe_to_send = false) / COUNT(*), 2) AS "
                 "unsafe_rate_pct"
                 " FROM fact_training f JOIN dim_user u ON f.annotator_key = u.user_key"
                 " JOIN dim_time d ON f.time_key = d.time_key"
                 " WHERE d.full_date BETWEEN DATE '%s' - %d AND DATE '%s'"
                 " GROUP BY u.user_id ORDER BY total_annotations DESC, u.user_id",
                 p->as_of, p->days ? p->days : 30, p->as_of);
    } else if (!strcmp(report, "daily-agg-recompute")) {
        int lo = date_key(p->from), hi = date_key(p->to);
        snprintf(sel, sizeof sel, daily_agg_select, lo, hi, lo, hi, lo, hi);
        snprintf(buf, sizeof buf, "%s ORDER BY k.time_key, k.agent_key", sel);
    } else if (!strcmp(report, "type-month")) {
        /* the ad-hoc query of bench/harness/fdw.sh: a year of facts by agent type and month */
        snprintf(buf, sizeof buf,
                 "SELECT a.agent_type, date_trunc('month', d.full_date) AS month, COUNT(*) AS n,"
                 " ROUND(AVG(f.latency_ms), 2) AS avg_latency_ms,"
                 " PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY f.latency_ms) AS median_latency_ms"
                 " FROM fact_agent_query f JOIN dim_agent a ON f.agent_key = a.agent_key"
                 " JOIN dim_time d ON f.time_key = d.time_key"
                 " WHERE d.full_date BETWEEN DATE '%s' AND DATE '%s'"
                 " GROUP BY 1, 2 ORDER BY 1, 2",
                 p->from, p->to);
    } else if (!strcmp(report, "daily-agg")) {
        snprintf(buf, sizeof buf,
                 "SELECT * FROM agg_agent_daily_performance WHERE time_key BETWEEN %d AND %d"
                 " ORDER BY time_key, agent_key",
                 date_key(p->from), date_key(p->to));
    } else {
        die("unknown report %s", report);
    }
    return buf;
}

/* ---- modes ---- */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int mode_load(const char *path, const char *dir)
{
    char sql[8192];
    double t0 = now_s(), t;
    remove(path);
    db_open(path, false);
    run(schema_sql, NULL);
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
        t = now_s();
        /* The sniffer is off: PostgreSQL's array and json literals defeat it. An unquoted empty
         * field is NULL, a quoted one ("") the empty string, as in PostgreSQL's CSV. */
        snprintf(sql, sizeof sql,
                 "COPY %s FROM '%s/%s.csv' (FORMAT csv, HEADER true, AUTO_DETECT false,"
                 " DELIMITER ',', QUOTE '\"', ESCAPE '\"', NULL '', ALLOW_QUOTED_NULLS false)",
                 tables[i], dir, tables[i]);
        run(sql, NULL);
        printf("copy %s %.3f\n", tables[i], now_s() - t);
    }
    double t_copy = now_s() - t0;
    t = now_s();
    char sel[6144];
    snprintf(sel, sizeof sel, daily_agg_select, 0, 99999999, 0, 99999999, 0, 99999999);
    snprintf(sql, sizeof sql, "INSERT INTO agg_agent_daily_performance %s", sel);
    run(sql, NULL);
    double t_agg = now_s() - t;
    t = now_s();
    run("CHECKPOINT", NULL);
    double t_ckpt = now_s() - t;
    db_close();
    printf("load_copy_seconds %.3f\nload_agg_seconds %.3f\nload_checkpoint_seconds %.3f\n"
           "load_total_seconds %.3f\n",
           t_copy, t_agg, t_ckpt, now_s() - t0);
    return 0;
}

static int mode_embed(const char *path,
                      const char *report,
                      const struct params *p,
                      int iters,
                      int warmup,
                      double max_seconds)
{
    const char *sql = report_sql(report, p);
    double *v = calloc((size_t)iters, sizeof *v);
    if (!v) die("out of memory");
    db_open(path, true);
    for (int i = 0; i < warmup; i++)
        run(sql, NULL);
    int n = 0;
    double start = now_s();
    while (n < iters) {
        double t = now_s();
        run(sql, NULL);
        v[n++] = (now_s() - t) * 1e3;
        if (n >= 5 && now_s() - start > max_seconds) break;
    }
    db_close();
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    printf("%s median_ms %.3f p10_ms %.3f p90_ms %.3f n %d\n", report, v[n / 2], v[n / 10],
           v[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1], n);
    free(v);
    return 0;
}

int main(int argc, char **argv)
{
    const char *lib = getenv("DUCKDB_LIB");
    struct params p = {0};
    int iters = 100, warmup = 5;
    double max_seconds = 20;
    const char *pos[4] = {0};
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name) (!strcmp(a, name) && val && ++i)
        if (OPT("--lib"))
            lib = val;
        else if (OPT("--as-of"))
            p.as_of = val;
        else if (OPT("--days"))
            p.days = atoi(val);
        else if (OPT("--year"))
            p.year = atoi(val);
        else if (OPT("--from"))
            p.from = val;
        else if (OPT("--to"))
            p.to = val;
        else if (OPT("--iters"))
            iters = atoi(val);
        else if (OPT("--warmup"))
            warmup = atoi(val);
        else if (OPT("--max-seconds"))
            max_seconds = atof(val);
        else if (a[0] == '-' && a[1] == '-')
            die("unknown option %s", a);
        else if (npos < 4)
            pos[npos++] = a;
        else
            die("too many arguments");
#undef OPT
    }
    if (!pos[0]) {
        fputs("usage: duckdb_bench [--lib PATH] load|query|embed|sql|version ...\n", stderr);
        return 2;
    }
    load_api(lib && *lib ? lib : "libduckdb.so");
    if (iters < 1) iters = 1;
    if (!strcmp(pos[0], "version")) {
        printf("%s\n", api.library_version());
        return 0;
    }
    if (!pos[1]) die("%s: no database file", pos[0]);
    if (!strcmp(pos[0], "load")) {
        if (!pos[2]) die("load: no CSV directory");
        return mode_load(pos[1], pos[2]);
    }
    if (!strcmp(pos[0], "sql")) {
        if (!pos[2]) die("sql: no statement");
        db_open(pos[1], false);
        run(pos[2], stdout);
        db_close();
        return 0;
    }
    if (!pos[2]) die("%s: no report", pos[0]);
    if (!strcmp(pos[0], "query")) {
        db_open(pos[1], true);
        run(report_sql(pos[2], &p), stdout);
        db_close();
        return 0;
    }
    if (!strcmp(pos[0], "embed")) return mode_embed(pos[1], pos[2], &p, iters, warmup, max_seconds);
    die("unknown mode %s", pos[0]);
    return 2;
}
