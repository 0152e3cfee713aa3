/*
 * The nightly job (colstore_nightly; docs/contract.md: nightly job, bad input): every rule with the values it must
 * produce, checked through dumps of the tables (what PostgreSQL's COPY would print).
 */
#include <criterion/criterion.h>

#include "tests/engine/fixture.h"

static const char days_export[] = "20250301\t2025-03-01\t2025\t1\t3\t9\t1\t6\t60\tSaturday \tMarch "
                                  "   \tt\tf\t\\N\t\\N\t\\N\t\\N\n"
                                  "20250302\t2025-03-02\t2025\t1\t3\t9\t2\t0\t61\tSunday   \tMarch "
                                  "   \tt\tf\t\\N\t\\N\t\\N\t\\N\n"
                                  "20250303\t2025-03-03\t2025\t1\t3\t10\t3\t1\t62\tMonday   "
                                  "\tMarch    \tf\tf\t\\N\t\\N\t\\N\t\\N\n"
                                  "20250304\t2025-03-04\t2025\t1\t3\t10\t4\t2\t63\tTuesday  "
                                  "\tMarch    \tf\tf\t\\N\t\\N\t\\N\t\\N\n";

#define LT1 INT64_C(1740960000000000) /* 2025-03-03 00:00:00+00 */
#define LT2 INT64_C(1741046400000000) /* 2025-03-04 00:00:00+00 */

static colstore_store *time_only(void)
{
    char *dir = fx_tmpdir();
    colstore_store *st = NULL;
    colstore_error err;
    cr_assert_eq(colstore_open(dir, COLSTORE_WRITABLE | COLSTORE_CREATE, &st, &err), COLSTORE_OK);
    cr_assert_eq(colstore_load_buffer(st, "dim_time", days_export, strlen(days_export), "t", NULL,
                                      NULL, &err),
                 COLSTORE_OK, "%s", err.message);
    free(dir);
    return st;
}

static char *dump(colstore_store *st, const char *table)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    colstore_error err;
    cr_assert_eq(colstore_dump(st, table, COLSTORE_FORMAT_TEXT, f, &err), COLSTORE_OK, "%s",
                 err.message);
    fclose(f);
    return buf;
}

static void expect_dump(colstore_store *st, const char *table, const char *want)
{
    char *got = dump(st, table);
    cr_expect_str_eq(got, want, "%s:\n%s", table, got);
    free(got);
}

static void set_in(colstore_nightly_input *in, const char *text, const char *name)
{
    in->buf = text;
    in->len = strlen(text);
    in->name = name;
}

struct night {
    const char *agents, *queries, *approvals, *feedback;
};

static int run(colstore_store *st,
               const struct night *nt,
               int64_t lt,
               colstore_nightly_stats *s,
               colstore_error *err)
{
    colstore_nightly_options o = COLSTORE_NIGHTLY_OPTIONS_INIT;
    o.load_time_us = lt;
    if (nt->agents) set_in(&o.agents, nt->agents, "agents.copy");
    if (nt->queries) set_in(&o.queries, nt->queries, "queries.copy");
    if (nt->approvals) set_in(&o.approvals, nt->approvals, "approvals.copy");
    if (nt->feedback) set_in(&o.feedback, nt->feedback, "feedback.copy");
    return colstore_nightly(st, &o, s, err);
}

static const char agents1[] = "support\tsupport\t[]\t\\N\t0.500000\n"
                              "data\tdata\t[\"query\"]\t240\t0.001000\n";

/* ids out of order in the file; query 5 is a late row (2025-03-01) */
static const char queries1[] =
    "7\tdata\tc-2\thello\\tworld\t\\N\t200\t\\N\tt\tf\t2025-03-02 11:00:00.5+00\n"
    "5\tdata\tc-1\tselect 1\t10\t100\tt\tf\tf\t2025-03-01 10:00:00+00\n"
    "6\tsupport\tc-1\tselect 2\t20\t300\tf\tf\tt\t2025-03-02 09:00:00+00\n";

/* 11: resolved after 240.9 s (fraction dropped: 240, sla 240 met); 12: unresolved, no agent,
 * a conversation no query mentions; 13: agent without sla target (sla_met NULL) */
static const char approvals1[] =
    "12\t\\N\tc-9\t\\N\tpending\t\\N\t2025-03-02 08:00:00+00\t\\N\n"
    "11\tdata\tc-1\tbob\tapproved\t0\t2025-03-02 10:00:00+00\t2025-03-02 10:04:00.9+00\n"
    "13\tsupport\tc-2\tbob\trejected\t2\t2025-03-02 12:00:00+00\t2025-03-02 12:00:01+00\n";

/* overall (5 + 4 + 0) / 3.0 = 3.00; labels as PostgreSQL prints them */
static const char feedback1[] =
    "21\tsupport\tc-2\tann\tf\t5\t4\t\\N\t{x,\"y z\"}\t2025-03-02 10:00:00+00\t\\N\n"
    "22\t\\N\tc-3\tbob\tt\t1\t1\t2\t{}\t2025-03-02 13:00:00+00\t2025-03-02 14:00:00+00\n";

static const struct night night1 = {agents1, queries1, approvals1, feedback1};

static void expect_night1(colstore_store *st)
{
    /* new versions by agent_name: data before support */
    expect_dump(st, "dim_agent",
                "1\tdata\tdata\t[\"query\"]\t240\t0.001000\t2025-03-03 00:00:00+00\t\\N\tt\n"
                "2\tsupport\tsupport\t[]\t\\N\t0.500000\t2025-03-03 00:00:00+00\t\\N\tt\n");
    /* conversations in order of first mention: queries by id (c-1, c-2), approvals (c-9),
     * feedback (c-3) */
    expect_dump(st, "dim_conversation",
                "1\tc-1\t2025-03-01 10:00:00+00\t2025-03-02 10:00:00+00\t2\t1\t0\t{}\n"
                "2\tc-2\t2025-03-02 10:00:00+00\t2025-03-02 12:00:00+00\t1\t1\t1\t{}\n"
                "3\tc-9\t2025-03-02 08:00:00+00\t2025-03-02 08:00:00+00\t0\t1\t0\t{}\n"
                "4\tc-3\t2025-03-02 13:00:00+00\t2025-03-02 13:00:00+00\t0\t0\t1\t{}\n");
    /* users: bob first mentioned by an approval */
    expect_dump(st, "dim_user",
                "1\tbob\tapprover\t\\N\t2025-03-03 00:00:00+00\t\\N\tt\n"
                "2\tann\tannotator\t\\N\t2025-03-03 00:00:00+00\t\\N\tt\n");
    /* keys by id; rows before the first version resolve to it; MD5 of the query text */
    expect_dump(st, "fact_agent_query",
                "1\t1\t20250301\t1\t95adb6e77a0884d9e50232cb8c5c969d\t10\t100\tt\tf\tf\t"
                "2025-03-01 10:00:00+00\n"
                "2\t2\t20250302\t1\t8222fbf4485048374b8751d04bb6c90a\t20\t300\tf\tf\tt\t"
                "2025-03-02 09:00:00+00\n"
                "3\t1\t20250302\t2\t081e061ff27e89c763424586642695d2\t\\N\t200\t\\N\tt\tf\t"
                "2025-03-02 11:00:00.5+00\n");
    expect_dump(st, "fact_approval",
                "1\t1\t20250302\t1\t1\tapproved\t240\t0\tt\t2025-03-02 10:00:00+00\t"
                "2025-03-02 10:04:00.9+00\n"
                "2\t\\N\t20250302\t3\t\\N\tpending\t\\N\t\\N\t\\N\t2025-03-02 08:00:00+00\t\\N\n"
                "3\t2\t20250302\t2\t1\trejected\t1\t2\t\\N\t2025-03-02 12:00:00+00\t"
                "2025-03-02 12:00:01+00\n");
    expect_dump(
        st, "fact_training",
        "1\t2\t20250302\t2\t2\tf\t5\t4\t\\N\t3.00\t{x,\"y z\"}\t2025-03-02 10:00:00+00\t\\N\n"
        "2\t\\N\t20250302\t4\t1\tt\t1\t1\t2\t1.33\t{}\t2025-03-02 13:00:00+00\t"
        "2025-03-02 14:00:00+00\n");
    /* both days refreshed, the late one too */
    expect_dump(st, "agg_agent_daily_performance",
                "1\t20250301\t1\t100.00\t100.00\t100.00\t0.00\t0.00\t0\t0\t0\t\\N\n"
                "1\t20250302\t1\t200.00\t200.00\t0.00\t100.00\t0.00\t1\t0\t0\t100.00\n"
                "2\t20250302\t1\t300.00\t300.00\t0.00\t0.00\t100.00\t1\t1\t1\t0.00\n");
}

Test(nightly, one_night_every_rule)
{
    colstore_store *st = time_only();
    colstore_nightly_stats s = COLSTORE_NIGHTLY_STATS_INIT;
    colstore_error err;
    cr_assert_eq(run(st, &night1, LT1, &s, &err), COLSTORE_OK, "%s", err.message);
    expect_night1(st);
    cr_expect_eq(s.queries.read, 3);
    cr_expect_eq(s.queries.loaded, 3);
    cr_expect_eq(s.approvals.loaded, 3);
    cr_expect_eq(s.feedback.loaded, 2);
    cr_expect_eq(s.agents.loaded, 2);
    cr_expect_eq(s.versions_added, 2);
    cr_expect_eq(s.conversations_added, 4);
    cr_expect_eq(s.users_added, 2);
    cr_expect_eq(s.days_touched, 2);
    colstore_close(st);
}

Test(nightly, a_rerun_skips_every_row_and_changes_nothing)
{
    colstore_store *st = time_only();
    colstore_nightly_stats s = COLSTORE_NIGHTLY_STATS_INIT;
    colstore_error err;
    cr_assert_eq(run(st, &night1, LT1, &s, &err), COLSTORE_OK, "%s", err.message);
    cr_assert_eq(run(st, &night1, LT2, &s, &err), COLSTORE_OK, "%s", err.message);
    expect_night1(st); /* counters did not grow, no new version at the later load time */
    cr_expect_eq(s.queries.skipped, 3);
    cr_expect_eq(s.queries.loaded, 0);
    cr_expect_eq(s.approvals.skipped, 3);
    cr_expect_eq(s.feedback.skipped, 2);
    cr_expect_eq(s.agents.skipped, 2);
    cr_expect_eq(s.versions_added, 0);
    cr_expect_eq(s.days_touched, 0);
    colstore_close(st);
}

Test(nightly, scd2_change_new_agent_and_resolution_by_created_at)
{
    colstore_store *st = time_only();
    colstore_error err;
    cr_assert_eq(run(st, &night1, LT1, NULL, &err), COLSTORE_OK, "%s", err.message);
    /* data changes its sla; support is missing (left as it is); two new agents, keys by name
     * bytewise: "Zeta" < "alpha" */
    const struct night n2 = {
        .agents = "data\tdata\t[\"query\"]\t60\t0.001000\n"
                  "alpha\tqa\t{\"a\": 1}\t10\t\\N\n"
                  "Zeta\tops\t\\N\t\\N\t0.000001\n",
        /* 31: before the change (old version 1), 32: after it (new version 3), a late one */
        .queries = "32\tdata\tc-1\tq\t1\t10\tt\tf\tf\t2025-03-04 00:00:00+00\n"
                   "31\tdata\tc-1\tq\t1\t10\tt\tf\tf\t2025-03-03 23:59:59.999999+00\n",
        /* sla_met against the version valid at created_at: 100 s > 60 s of version 3 */
        .approvals = "41\tdata\tc-1\t\\N\tapproved\t0\t2025-03-04 01:00:00+00\t"
                     "2025-03-04 01:01:40+00\n",
    };
    colstore_nightly_stats s = COLSTORE_NIGHTLY_STATS_INIT;
    cr_assert_eq(run(st, &n2, LT2, &s, &err), COLSTORE_OK, "%s", err.message);
    cr_expect_eq(s.versions_added, 3);
    expect_dump(st, "dim_agent",
                "1\tdata\tdata\t[\"query\"]\t240\t0.001000\t2025-03-03 00:00:00+00\t"
                "2025-03-04 00:00:00+00\tf\n"
                "2\tsupport\tsupport\t[]\t\\N\t0.500000\t2025-03-03 00:00:00+00\t\\N\tt\n"
                "3\tZeta\tops\t\\N\t\\N\t0.000001\t2025-03-04 00:00:00+00\t\\N\tt\n"
                "4\talpha\tqa\t{\"a\": 1}\t10\t\\N\t2025-03-04 00:00:00+00\t\\N\tt\n"
                "5\tdata\tdata\t[\"query\"]\t60\t0.001000\t2025-03-04 00:00:00+00\t\\N\tt\n");
    char *q = dump(st, "fact_agent_query");
    cr_expect(strstr(q, "\n4\t1\t20250303\t1\t") != NULL, "31 resolves to version 1:\n%s", q);
    cr_expect(strstr(q, "\n5\t5\t20250304\t1\t") != NULL, "32 resolves to version 5:\n%s", q);
    free(q);
    char *a = dump(st, "fact_approval");
    cr_expect(strstr(a, "4\t5\t20250304\t1\t\\N\tapproved\t100\t0\tf\t") != NULL, "%s", a);
    free(a);
    colstore_close(st);
}

/* A bad night: the message names file, line and column; nothing is committed. */
static void expect_bad(const struct night *bad, const char *want)
{
    colstore_store *st = time_only();
    colstore_error err;
    cr_assert_eq(run(st, &night1, LT1, NULL, &err), COLSTORE_OK, "%s", err.message);
    char *before[4] = {dump(st, "dim_agent"), dump(st, "dim_conversation"),
                       dump(st, "fact_approval"), dump(st, "agg_agent_daily_performance")};
    cr_assert_eq(run(st, bad, LT2, NULL, &err), COLSTORE_EINPUT, "%s", want);
    cr_expect(strstr(err.message, want) != NULL, "got \"%s\", want \"%s\"", err.message, want);
    expect_dump(st, "dim_agent", before[0]);
    expect_dump(st, "dim_conversation", before[1]);
    expect_dump(st, "fact_approval", before[2]);
    expect_dump(st, "agg_agent_daily_performance", before[3]);
    for (int i = 0; i < 4; i++)
        free(before[i]);
    colstore_close(st);
}

/* a good first line, so that a partial commit would show */
#define GOOD_Q "51\tdata\tc-5\tq\t1\t10\tt\tf\tf\t2025-03-04 00:00:00+00\n"

Test(nightly, bad_agent_without_any_version)
{
    expect_bad(&(struct night){.queries = GOOD_Q "52\tghost\tc-5\tq\t1\t10\tt\tf\tf\t"
                                                 "2025-03-04 00:00:00+00\n"},
               "queries.copy:2: agent: no dim_agent version of agent \"ghost\"");
}

Test(nightly, bad_resolved_before_created)
{
    expect_bad(&(struct night){.queries = GOOD_Q,
                               .approvals = "61\tdata\tc-1\t\\N\tapproved\t0\t"
                                            "2025-03-04 01:00:00+00\t2025-03-04 00:59:59+00\n"},
               "approvals.copy:1: resolved_at: resolved_at 2025-03-04 00:59:59+00 is before "
               "created_at 2025-03-04 01:00:00+00");
}

Test(nightly, bad_unknown_status)
{
    expect_bad(&(struct night){.queries = GOOD_Q,
                               .approvals = "61\tdata\tc-1\t\\N\tmaybe\t0\t"
                                            "2025-03-04 01:00:00+00\t\\N\n"},
               "approvals.copy:1: status: unrecognized value \"maybe\"");
}

Test(nightly, bad_score_out_of_range)
{
    expect_bad(&(struct night){.queries = GOOD_Q,
                               .feedback = "71\tdata\tc-1\tann\tt\t1\t6\t1\t{}\t"
                                           "2025-03-04 01:00:00+00\t\\N\n"},
               "feedback.copy:1: accuracy_score: value 6 violates check (1 to 5)");
}

Test(nightly, bad_date_without_dim_time_row)
{
    expect_bad(&(struct night){.queries = GOOD_Q "53\tdata\tc-5\tq\t1\t10\tt\tf\tf\t"
                                                 "2025-03-09 00:00:00+00\n"},
               "queries.copy:2: created_at: no dim_time row for 20250309");
}

Test(nightly, bad_agents_duplicate_name)
{
    expect_bad(&(struct night){.agents = "x\tqa\t[]\t1\t0\nx\tqa\t[]\t2\t0\n", .queries = GOOD_Q},
               "agents.copy:2: agent_name: duplicate agent_name \"x\" in the export");
}

Test(nightly, bad_capabilities_not_json)
{
    expect_bad(&(struct night){.agents = "x\tqa\t[1,\t1\t0\n", .queries = GOOD_Q},
               "agents.copy:1: capabilities:");
}

Test(nightly, bad_exports_disagree_on_an_agent)
{
    /* the approval names an agent neither the agents export nor the store knows */
    expect_bad(&(struct night){.agents = "data\tdata\t[\"query\"]\t240\t0.001000\n",
                               .queries = GOOD_Q,
                               .approvals = "61\tnobody\tc-5\t\\N\tpending\t0\t"
                                            "2025-03-04 01:00:00+00\t\\N\n"},
               "approvals.copy:1: agent: no dim_agent version of agent \"nobody\"");
}

Test(nightly, bad_same_id_twice_with_different_values)
{
    expect_bad(&(struct night){.queries = GOOD_Q "51\tdata\tc-5\tq\t1\t11\tt\tf\tf\t"
                                                 "2025-03-04 00:00:00+00\n"},
               "queries.copy:2: id: id 51 appears twice in the export with different values");
}

Test(nightly, same_id_twice_with_the_same_values_is_one_row)
{
    colstore_store *st = time_only();
    colstore_error err;
    cr_assert_eq(run(st, &night1, LT1, NULL, &err), COLSTORE_OK, "%s", err.message);
    colstore_nightly_stats s = COLSTORE_NIGHTLY_STATS_INIT;
    const struct night n = {.queries = GOOD_Q GOOD_Q};
    cr_assert_eq(run(st, &n, LT2, &s, &err), COLSTORE_OK, "%s", err.message);
    cr_expect_eq(s.queries.loaded, 1);
    cr_expect_eq(s.queries.skipped, 1);
    colstore_close(st);
}

/* ids far apart and out of order (the sort takes three radix passes: a span over 2^22), one
 * of them sent twice with the same values, not next to each other: keys follow the ids */
Test(nightly, keys_follow_ids_of_any_span_and_order)
{
    colstore_store *st = time_only();
    colstore_error err;
    cr_assert_eq(run(st, &(struct night){.agents = agents1}, LT1, NULL, &err), COLSTORE_OK, "%s",
                 err.message);
    static const char q[] = "9000000\tdata\tc-1\td\t1\t40\tt\tf\tf\t2025-03-02 00:00:00+00\n"
                            "2\tdata\tc-1\ta\t1\t10\tt\tf\tf\t2025-03-02 00:00:00+00\n"
                            "70000\tdata\tc-1\tc\t1\t30\tt\tf\tf\t2025-03-02 00:00:00+00\n"
                            "9000000\tdata\tc-1\td\t1\t40\tt\tf\tf\t2025-03-02 00:00:00+00\n"
                            "4097\tdata\tc-1\tb\t1\t20\tt\tf\tf\t2025-03-02 00:00:00+00\n";
    colstore_nightly_stats s = COLSTORE_NIGHTLY_STATS_INIT;
    cr_assert_eq(run(st, &(struct night){.queries = q}, LT2, &s, &err), COLSTORE_OK, "%s",
                 err.message);
    cr_expect_eq(s.queries.loaded, 4);
    cr_expect_eq(s.queries.skipped, 1);
    /* keys by id; MD5 of "a" .. "d" */
    expect_dump(st, "fact_agent_query",
                "1\t1\t20250302\t1\t0cc175b9c0f1b6a831c399e269772661\t1\t10\tt\tf\tf\t"
                "2025-03-02 00:00:00+00\n"
                "2\t1\t20250302\t1\t92eb5ffee6ae2fec3ad71c777531578f\t1\t20\tt\tf\tf\t"
                "2025-03-02 00:00:00+00\n"
                "3\t1\t20250302\t1\t4a8a08f09d37b73795649038408b5f33\t1\t30\tt\tf\tf\t"
                "2025-03-02 00:00:00+00\n"
                "4\t1\t20250302\t1\t8277e0910d750195b448797616e091ad\t1\t40\tt\tf\tf\t"
                "2025-03-02 00:00:00+00\n");
    colstore_close(st);
}

Test(nightly, rejects_file_keeps_bad_lines_and_commits_the_rest)
{
    colstore_store *st = time_only();
    colstore_error err;
    cr_assert_eq(run(st, &night1, LT1, NULL, &err), COLSTORE_OK, "%s", err.message);
    char path[] = "/tmp/colstore-nightly-rejects-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    unlink(path); /* the library creates it */
    colstore_nightly_options o = COLSTORE_NIGHTLY_OPTIONS_INIT;
    o.load_time_us = LT2;
    o.rejects_path = path;
    set_in(&o.queries, GOOD_Q "52\tghost\tc-5\tq\t1\t10\tt\tf\tf\t2025-03-04 00:00:00+00\n",
           "queries.copy");
    colstore_nightly_stats s = COLSTORE_NIGHTLY_STATS_INIT;
    cr_assert_eq(colstore_nightly(st, &o, &s, &err), COLSTORE_OK, "%s", err.message);
    cr_expect_eq(s.queries.loaded, 1);
    cr_expect_eq(s.queries.rejected, 1);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    char buf[512] = {0};
    cr_expect_gt(fread(buf, 1, sizeof(buf) - 1, f), 0);
    fclose(f);
    unlink(path);
    cr_expect_str_eq(buf, "52\tghost\tc-5\tq\t1\t10\tt\tf\tf\t2025-03-04 00:00:00+00\n"
                          "-- queries.copy:2: agent: no dim_agent version of agent \"ghost\"\n");
    char *q = dump(st, "fact_agent_query");
    cr_expect(strstr(q, "\n4\t1\t20250304\t5\t") != NULL, "%s", q);
    free(q);
    colstore_close(st);
}

Test(nightly, empty_exports_commit_nothing)
{
    colstore_store *st = time_only();
    colstore_error err;
    const struct night empty = {"", "", "", ""};
    colstore_nightly_stats s = COLSTORE_NIGHTLY_STATS_INIT;
    cr_assert_eq(run(st, &empty, LT1, &s, &err), COLSTORE_OK, "%s", err.message);
    cr_expect_eq(s.days_touched, 0);
    expect_dump(st, "dim_agent", "");
    expect_dump(st, "fact_agent_query", "");
    colstore_close(st);
}

Test(nightly, csv_exports_with_headers_and_defaults)
{
    colstore_store *st = time_only();
    colstore_nightly_options o = COLSTORE_NIGHTLY_OPTIONS_INIT;
    o.load_time_us = LT1;
    /* CSV by name; columns by header; labels absent: '{}'; human_edited absent: false */
    set_in(&o.agents, "agent_name,agent_type\nz,qa\n", "agents.csv");
    set_in(&o.queries,
           "created_at,latency_ms,query,conversation_id,agent,id\n"
           "2025-03-02 10:00:00+05:30,5,\"a,\"\"b\"\"\",c-1,z,1\n",
           "queries.csv");
    set_in(&o.feedback, "id,agent,conversation_id,created_at\n1,z,c-1,2025-03-02 10:00:00+00\n",
           "fb.csv");
    colstore_error err;
    cr_assert_eq(colstore_nightly(st, &o, NULL, &err), COLSTORE_OK, "%s", err.message);
    expect_dump(st, "dim_agent", "1\tz\tqa\t\\N\t\\N\t\\N\t2025-03-03 00:00:00+00\t\\N\tt\n");
    /* md5('a,"b"'); created_at in UTC */
    expect_dump(st, "fact_agent_query",
                "1\t1\t20250302\t1\t70846c62f0f429ea94c66e8566400716\t\\N\t5\t\\N\tf\tf\t"
                "2025-03-02 04:30:00+00\n");
    expect_dump(
        st, "fact_training",
        "1\t1\t20250302\t1\t\\N\t\\N\t\\N\t\\N\t\\N\t0.00\t{}\t2025-03-02 10:00:00+00\t\\N\n");
    colstore_close(st);
}

Test(nightly, options_size_and_arguments)
{
    colstore_store *st = time_only();
    colstore_error err;
    colstore_nightly_options o = COLSTORE_NIGHTLY_OPTIONS_INIT;
    o.size = sizeof(size_t);
    cr_expect_eq(colstore_nightly(st, &o, NULL, &err), COLSTORE_EINVAL);
    cr_expect(strstr(err.message, "size") != NULL, "%s", err.message);
    cr_expect_eq(colstore_nightly(st, NULL, NULL, &err), COLSTORE_EINVAL);
    cr_expect_eq(colstore_nightly(NULL, &o, NULL, &err), COLSTORE_EINVAL);
    colstore_close(st);
}

Test(nightly, pull_without_a_server_fails_cleanly)
{
    colstore_store *st = time_only();
    colstore_error err;
    colstore_pull_options o = COLSTORE_PULL_OPTIONS_INIT;
    o.conninfo = "host=/nonexistent-colstore-dir port=1 dbname=x password=s3cr3t-pw";
    o.load_time_us = LT1;
    colstore_nightly_stats s = COLSTORE_NIGHTLY_STATS_INIT;
    cr_assert_eq(colstore_pull(st, &o, &s, &err), COLSTORE_EIO, "%s", err.message);
    cr_expect(strstr(err.message, "pull: could not connect") != NULL, "%s", err.message);
    cr_expect(strstr(err.message, "s3cr3t-pw") == NULL, "%s", err.message);
    expect_dump(st, "dim_agent", "");
    o.since = "2025-13-01";
    cr_expect_eq(colstore_pull(st, &o, &s, &err), COLSTORE_EINPUT);
    cr_expect_str_eq(err.message, "since: invalid date \"2025-13-01\" (YYYY-MM-DD)");
    o.since = NULL;
    o.size = 8;
    cr_expect_eq(colstore_pull(st, &o, &s, &err), COLSTORE_EINVAL);
    colstore_close(st);
}
