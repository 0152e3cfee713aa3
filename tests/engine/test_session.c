/*
 * The load session (engine/session.h): several fact tables put in one session; the daily
 * aggregates refreshed at finish see every one of them (the transaction's own view), each
 * touched day once; an aborted session leaves the store as it was; a one-fact-table session
 * refuses a second fact table.
 */
#include <criterion/criterion.h>

#include "engine/session.h"
#include "etl/parse.h"
#include "tests/engine/fixture.h"

static colstore_store *dims_only(void)
{
    char *dir = fx_tmpdir();
    colstore_store *st = NULL;
    colstore_error err;
    cr_assert_eq(colstore_open(dir, COLSTORE_WRITABLE | COLSTORE_CREATE, &st, &err), COLSTORE_OK);
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq(colstore_load_buffer(st, fx_tables[i].table, fx_tables[i].data,
                                          strlen(fx_tables[i].data), "x", NULL, NULL, &err),
                     COLSTORE_OK, "%s", err.message);
    }
    free(dir);
    return st;
}

/* Parse a fixture export of table id into b. */
static void parse(int id, const char *text, struct cs_batch *b)
{
    const struct cs_table_def *t = cs_schema_table(id);
    struct cs_parse_opts po = {.format = CS_FMT_TEXT, .filename = "x", .now_us = 1};
    struct cs_parser *p = NULL;
    struct cs_error e = {0};
    cr_assert_eq(cs_parser_open_mem(t, text, strlen(text), &po, &p, &e), CS_OK, "%s", e.message);
    cs_batch_init(b, t);
    cr_assert_eq(cs_parser_next(p, b, 1000, &e), CS_OK, "%s", e.message);
    cs_parser_close(p);
}

/* Rows of batch b whose time_key is tk, as a new batch. */
static void day_of(const struct cs_batch *b, int32_t tk, struct cs_batch *out)
{
    cs_batch_init(out, b->table);
    for (size_t r = 0; r < b->rows; r++) {
        if (b->cols[b->table->time_col].i64[r] == tk) cr_assert(cs_batch_push_row_from(out, b, r));
    }
}

static char *daily_agg_csv(colstore_store *st)
{
    colstore_report_params p = COLSTORE_REPORT_PARAMS_INIT;
    p.from = "2025-03-01";
    p.to = "2025-03-03";
    colstore_result *r = NULL;
    colstore_error err;
    cr_assert_eq(colstore_report(st, "daily-agg", &p, &r, &err), COLSTORE_OK, "%s", err.message);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_eq(colstore_result_write(r, f, COLSTORE_OUTPUT_CSV, &err), COLSTORE_OK);
    fclose(f);
    colstore_result_free(r);
    return buf;
}

Test(session, aggregates_see_every_fact_table_put_in_the_session)
{
    colstore_store *st = dims_only();
    struct cs_batch q, a, t, qd, ad, td;
    parse(CS_T_FACT_AGENT_QUERY, fx_fact_agent_query, &q);
    parse(CS_T_FACT_APPROVAL, fx_fact_approval, &a);
    parse(CS_T_FACT_TRAINING, fx_fact_training, &t);
    struct cs_session s;
    struct cs_error e = {0};
    cr_assert_eq(cs_session_begin(st, &s, 0, &e), CS_OK, "%s", e.message);
    /* day 20250301 of all three tables, one put each; approvals first */
    day_of(&a, 20250301, &ad);
    day_of(&q, 20250301, &qd);
    day_of(&t, 20250301, &td);
    cr_assert_eq(cs_session_put_fact(&s, CS_T_FACT_APPROVAL, 20250301, &ad, &e), CS_OK);
    cr_assert_eq(cs_session_put_fact(&s, CS_T_FACT_AGENT_QUERY, 20250301, &qd, &e), CS_OK);
    cr_assert_eq(cs_session_put_fact(&s, CS_T_FACT_TRAINING, 20250301, &td, &e), CS_OK);
    cr_expect_eq(s.ntouched, 1, "one day touched by three tables is refreshed once");
    cr_assert_eq(cs_session_finish(&s, true, &e), CS_OK, "%s", e.message);
    char *got = daily_agg_csv(st);
    /* 20250301: agent 1 two queries (latency 100, 201; one approved, one edited), training
     * row of agent 1 unsafe; agent 2 one query (error), one approval sla met */
    cr_expect_str_eq(got, "agent_key,time_key,total_queries,avg_latency_ms,p95_latency_ms,"
                          "approval_rate_pct,edit_rate_pct,error_rate_pct,total_approvals,"
                          "total_feedback,unsafe_feedback_count,sla_compliance_pct\n"
                          "1,20250301,2,150.50,195.95,50.00,50.00,0.00,0,1,1,\n"
                          "2,20250301,1,300.00,300.00,0.00,0.00,100.00,1,0,0,100.00\n");
    free(got);
    cs_batch_free(&q);
    cs_batch_free(&a);
    cs_batch_free(&t);
    cs_batch_free(&qd);
    cs_batch_free(&ad);
    cs_batch_free(&td);
    colstore_close(st);
}

Test(session, abort_leaves_the_store_unchanged)
{
    colstore_store *st = dims_only();
    struct cs_batch q;
    parse(CS_T_FACT_AGENT_QUERY, fx_fact_agent_query, &q);
    struct cs_session s;
    struct cs_error e = {0};
    cr_assert_eq(cs_session_begin(st, &s, 0, &e), CS_OK);
    cr_assert_eq(cs_session_put_fact(&s, CS_T_FACT_AGENT_QUERY, 20250301, &q, &e), CS_OK);
    cr_assert_eq(cs_session_finish(&s, false, &e), CS_OK);
    char *got = daily_agg_csv(st);
    cr_expect_eq(strchr(got, '\n'), got + strlen(got) - 1, "header only: %s", got);
    free(got);
    /* the writer lock was released: another session can begin */
    cr_assert_eq(cs_session_begin(st, &s, 0, &e), CS_OK, "%s", e.message);
    cr_assert_eq(cs_session_finish(&s, true, &e), CS_OK);
    cs_batch_free(&q);
    colstore_close(st);
}

Test(session, one_fact_table_session_refuses_a_second_table)
{
    colstore_store *st = dims_only();
    struct cs_batch q, a;
    parse(CS_T_FACT_AGENT_QUERY, fx_fact_agent_query, &q);
    parse(CS_T_FACT_APPROVAL, fx_fact_approval, &a);
    struct cs_session s;
    struct cs_error e = {0};
    cr_assert_eq(cs_session_begin(st, &s, CS_SESSION_ONE_FACT_TABLE, &e), CS_OK);
    cr_assert_eq(cs_session_put_fact(&s, CS_T_FACT_AGENT_QUERY, 20250301, &q, &e), CS_OK);
    cr_expect_eq(cs_session_put_fact(&s, CS_T_FACT_APPROVAL, 20250301, &a, &e), CS_EINVAL);
    cr_assert_eq(cs_session_finish(&s, false, &e), CS_OK);
    cs_batch_free(&q);
    cs_batch_free(&a);
    colstore_close(st);
}
