/*
 * cs_embedded: the "embedded" figures of the end-to-end benchmark (bench/harness/run.sh).
 * Opens a store once, then times colstore_report() + colstore_result_free() per call
 * (clock_gettime, CLOCK_MONOTONIC) for each report, after a warm-up.
 *
 *   cs_embedded STORE [--iters N] [--warmup W] [--max-seconds S] [--as-of D] [--days7 N]
 *               [--days30 N] [--year Y] [--from D] [--to D] [REPORT...]
 *
 * REPORT is agent-performance, approval-queue, training-quality, daily-agg (materialized) or
 * daily-agg-recompute; all five when none is named. For each it prints one line:
 *   REPORT median_ms X p10_ms X p90_ms X n N rows R
 * A report stops early once it has run at least 5 times and for S seconds (default 20).
 * Exit 0, or the failing call's code (the message on stderr).
 */
#define _POSIX_C_SOURCE 200809L
#include <colstore.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

struct cfg {
    const char *as_of, *from, *to;
    int days7, days30, year, iters, warmup;
    double max_seconds;
};

static int bench_one(colstore_store *st, const char *report, const struct cfg *c)
{
    colstore_report_params p = COLSTORE_REPORT_PARAMS_INIT;
    const char *name = report;
    if (!strcmp(report, "agent-performance")) {
        p.as_of = c->as_of;
        p.days = c->days7;
    } else if (!strcmp(report, "training-quality")) {
        p.as_of = c->as_of;
        p.days = c->days30;
    } else if (!strcmp(report, "approval-queue")) {
        p.year = c->year;
    } else if (!strcmp(report, "daily-agg") || !strcmp(report, "daily-agg-recompute")) {
        p.from = c->from;
        p.to = c->to;
        p.recompute = strcmp(report, "daily-agg") != 0;
        name = "daily-agg";
    } else {
        fprintf(stderr, "cs_embedded: unknown report %s\n", report);
        return 2;
    }
    double *v = calloc((size_t)c->iters, sizeof *v);
    if (!v) return 5;
    colstore_error err;
    size_t rows = 0;
    for (int i = 0; i < c->warmup + c->iters; i++) {
        colstore_result *r = NULL;
        double t = now_ms();
        int rc = colstore_report(st, name, &p, &r, &err);
        if (rc == COLSTORE_OK) rows = colstore_result_rows(r);
        colstore_result_free(r);
        double dt = now_ms() - t;
        if (rc != COLSTORE_OK) {
            fprintf(stderr, "cs_embedded: %s: %s\n", report, err.message);
            printf("%s FAILED %d\n", report, rc);
            free(v);
            return rc;
        }
        if (i < c->warmup) continue;
        int n = i - c->warmup;
        v[n] = dt;
        static double start;
        if (n == 0) start = now_ms();
        if (n + 1 >= 5 && now_ms() - start > c->max_seconds * 1e3) {
            n++;
            qsort(v, (size_t)n, sizeof *v, cmp_double);
            printf("%s median_ms %.4f p10_ms %.4f p90_ms %.4f n %d rows %zu\n", report, v[n / 2],
                   v[n / 10], v[(n * 9) / 10], n, rows);
            free(v);
            return 0;
        }
    }
    int n = c->iters;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    printf("%s median_ms %.4f p10_ms %.4f p90_ms %.4f n %d rows %zu\n", report, v[n / 2], v[n / 10],
           v[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1], n, rows);
    free(v);
    return 0;
}

int main(int argc, char **argv)
{
    struct cfg c = {.as_of = "2025-12-31",
                    .from = "2025-01-01",
                    .to = "2025-12-31",
                    .days7 = 7,
                    .days30 = 30,
                    .year = 2025,
                    .iters = 200,
                    .warmup = 10,
                    .max_seconds = 20};
    const char *store = NULL, *reports[8];
    int nrep = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(s) (!strcmp(a, s) && val && ++i)
        if (OPT("--iters"))
            c.iters = atoi(val);
        else if (OPT("--warmup"))
            c.warmup = atoi(val);
        else if (OPT("--max-seconds"))
            c.max_seconds = atof(val);
        else if (OPT("--as-of"))
            c.as_of = val;
        else if (OPT("--days7"))
            c.days7 = atoi(val);
        else if (OPT("--days30"))
            c.days30 = atoi(val);
        else if (OPT("--year"))
            c.year = atoi(val);
        else if (OPT("--from"))
            c.from = val;
        else if (OPT("--to"))
            c.to = val;
        else if (a[0] == '-') {
            fprintf(stderr, "cs_embedded: unknown option %s\n", a);
            return 2;
        } else if (!store)
            store = a;
        else if (nrep < 8)
            reports[nrep++] = a;
#undef OPT
    }
    if (!store || c.iters < 1) {
        fputs("usage: cs_embedded STORE [--iters N] [--warmup W] [--max-seconds S] [REPORT...]\n",
              stderr);
        return 2;
    }
    if (nrep == 0) {
        static const char *const all[] = {"agent-performance", "approval-queue", "training-quality",
                                          "daily-agg", "daily-agg-recompute"};
        for (nrep = 0; nrep < 5; nrep++)
            reports[nrep] = all[nrep];
    }
    colstore_store *st;
    colstore_error err;
    if (colstore_open(store, COLSTORE_READ_ONLY, &st, &err) != COLSTORE_OK) {
        fprintf(stderr, "cs_embedded: %s\n", err.message);
        return err.code;
    }
    int worst = 0;
    for (int i = 0; i < nrep; i++) {
        int rc = bench_one(st, reports[i], &c);
        if (rc && !worst) worst = rc;
    }
    colstore_close(st);
    return worst;
}
