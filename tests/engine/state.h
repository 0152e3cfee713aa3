/*
 * The observable state of a store, for the reliability tests (fault injection, kill sweeps,
 * soaks, lifecycle commands): every table's dump and every report over the fixture's days,
 * concatenated. Two stores answer alike exactly when their states are equal strings.
 */
#ifndef CS_TEST_STATE_H
#define CS_TEST_STATE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/colstore.h"

static const char *const st_tables[] = {
    "dim_agent",        "dim_time",      "dim_conversation", "dim_user",
    "fact_agent_query", "fact_approval", "fact_training",    "agg_agent_daily_performance"};

/* The days the reports of a state cover: the fixture's by default. */
struct st_days {
    const char *from, *to; /* YYYY-MM-DD */
    int days;              /* to - from, in days */
    int year;
};
#define ST_FIXTURE_DAYS                     \
    {                                       \
        "2025-03-01", "2025-03-03", 2, 2025 \
    }

/* st_state_over() - the state of an open store as a new string, or NULL (err set) when any dump
 * or report fails: every table's dump, every report over the days d. */
static inline char *st_state_over(colstore_store *st, struct st_days d, colstore_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int rc = COLSTORE_OK;
    for (size_t i = 0; i < sizeof(st_tables) / sizeof(st_tables[0]) && rc == COLSTORE_OK; i++) {
        fprintf(f, "== %s\n", st_tables[i]);
        rc = colstore_dump(st, st_tables[i], COLSTORE_FORMAT_TEXT, f, err);
    }
    colstore_report_params p[5] = {COLSTORE_REPORT_PARAMS_INIT, COLSTORE_REPORT_PARAMS_INIT,
                                   COLSTORE_REPORT_PARAMS_INIT, COLSTORE_REPORT_PARAMS_INIT,
                                   COLSTORE_REPORT_PARAMS_INIT};
    const char *names[5] = {"agent-performance", "approval-queue", "training-quality", "daily-agg",
                            "daily-agg"};
    p[0].as_of = p[2].as_of = d.to;
    p[0].days = d.days;
    p[2].days = d.days;
    p[1].year = d.year;
    p[3].from = p[4].from = d.from;
    p[3].to = p[4].to = d.to;
    p[4].recompute = true;
    for (int i = 0; i < 5 && rc == COLSTORE_OK; i++) {
        colstore_result *r = NULL;
        fprintf(f, "== %s\n", names[i]);
        rc = colstore_report(st, names[i], &p[i], &r, err);
        if (rc == COLSTORE_OK) rc = colstore_result_write(r, f, COLSTORE_OUTPUT_CSV, err);
        colstore_result_free(r);
    }
    fclose(f);
    if (rc != COLSTORE_OK) {
        free(buf);
        return NULL;
    }
    return buf;
}

static inline char *st_state(colstore_store *st, colstore_error *err)
{
    const struct st_days d = ST_FIXTURE_DAYS;
    return st_state_over(st, d, err);
}

/* st_state_dir_over() - open the store in dir read-only, verify it, and return its state; NULL
 * (err set) when it does not open, verify or answer. */
static inline char *st_state_dir_over(const char *dir, struct st_days d, colstore_error *err)
{
    colstore_store *st = NULL;
    if (colstore_open(dir, COLSTORE_READ_ONLY, &st, err) != COLSTORE_OK) return NULL;
    char *s = NULL;
    if (colstore_verify(st, NULL, NULL, err) == COLSTORE_OK) s = st_state_over(st, d, err);
    colstore_close(st);
    return s;
}

static inline char *st_state_dir(const char *dir, colstore_error *err)
{
    const struct st_days d = ST_FIXTURE_DAYS;
    return st_state_dir_over(dir, d, err);
}

/* st_copy_dir() - cp -a from to (to must not exist); 0 on success. */
static inline int st_copy_dir(const char *from, const char *to)
{
    char cmd[8400];
    (void)snprintf(cmd, sizeof(cmd), "cp -a '%s' '%s'", from, to);
    return system(cmd);
}

static inline void st_rmrf(const char *path)
{
    char cmd[4200];
    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
    (void)system(cmd);
}

#endif
