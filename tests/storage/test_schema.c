/* The schema is the one source of truth for what the layers used to match by name: numeric
 * precision, the generated column, SCD-2 roles, natural-key rules, source_id, the aggregate's
 * input columns, and the operational tables of the nightly job (docs/contract.md). */
#include <criterion/criterion.h>
#include <string.h>

#include "storage/base/schema.h"

static int col(const struct cs_table_def *t, const char *name)
{
    return cs_schema_find_column(t, name, strlen(name));
}

Test(schema, numeric_precision_is_declared)
{
    const struct cs_table_def *a = cs_schema_table(CS_T_DIM_AGENT);
    cr_expect_eq(a->cols[col(a, "cost_per_query_usd")].precision, 10);
    cr_expect_eq(a->cols[col(a, "cost_per_query_usd")].scale, 6);
    const struct cs_table_def *g = cs_schema_table(CS_T_AGG_DAILY);
    cr_expect_eq(g->cols[col(g, "p95_latency_ms")].precision, 10);
    cr_expect_eq(g->cols[col(g, "sla_compliance_pct")].precision, 5);
    cr_expect_eq(g->cols[col(g, "total_queries")].precision, 0);
    const struct cs_table_def *o = cs_schema_op_table(CS_T_OP_AGENTS);
    cr_expect_eq(o->cols[col(o, "cost_per_query_usd")].precision, 10);
}

Test(schema, generated_column_and_its_inputs)
{
    const struct cs_table_def *t = cs_schema_table(CS_T_FACT_TRAINING);
    cr_assert_eq(t->gen_col, col(t, "overall_score"));
    cr_expect(t->cols[t->gen_col].flags & CS_COL_GENERATED);
    cr_expect_eq(t->gen_args[0], col(t, "clarity_score"));
    cr_expect_eq(t->gen_args[1], col(t, "accuracy_score"));
    cr_expect_eq(t->gen_args[2], col(t, "tone_score"));
    for (int id = CS_TABLE_MIN; id <= CS_TABLE_MAX; id++) {
        if (id != CS_T_FACT_TRAINING) cr_expect_eq(cs_schema_table(id)->gen_col, -1);
    }
}

Test(schema, scd_roles_and_name_rules)
{
    const struct cs_table_def *a = cs_schema_table(CS_T_DIM_AGENT);
    cr_expect_eq(a->scd.valid_from, col(a, "valid_from"));
    cr_expect_eq(a->scd.valid_to, col(a, "valid_to"));
    cr_expect_eq(a->scd.is_current, col(a, "is_current"));
    cr_expect_eq(a->name_rule, CS_NAME_UNIQUE_CURRENT);
    const struct cs_table_def *u = cs_schema_table(CS_T_DIM_USER);
    cr_expect_eq(u->scd.valid_from, col(u, "valid_from"));
    cr_expect_eq(u->name_rule, CS_NAME_UNIQUE);
    cr_expect_eq(cs_schema_table(CS_T_DIM_CONVERSATION)->name_rule, CS_NAME_UNIQUE);
    cr_expect_eq(cs_schema_table(CS_T_DIM_TIME)->scd.valid_from, -1);
    cr_expect_eq(cs_schema_table(CS_T_DIM_CONVERSATION)->scd.is_current, -1);
}

Test(schema, source_id_and_aggregate_inputs)
{
    static const struct {
        int id;
        const char *agg[5];
    } want[] = {
        {CS_T_FACT_AGENT_QUERY,
         {"agent_key", "latency_ms", "approved", "human_edited", "error_occurred"}},
        {CS_T_FACT_APPROVAL, {"agent_key", "sla_met"}},
        {CS_T_FACT_TRAINING, {"agent_key", "safe_to_send"}},
    };
    for (size_t i = 0; i < 3; i++) {
        const struct cs_table_def *t = cs_schema_table(want[i].id);
        cr_expect_eq(t->src_col, col(t, "source_id"));
        cr_expect(t->cols[t->src_col].flags & CS_COL_HIDDEN);
        size_t n = 0;
        while (n < 5 && want[i].agg[n] != NULL)
            n++;
        cr_assert_eq(t->nagg, n, "%s", t->name);
        for (size_t k = 0; k < n; k++)
            cr_expect_eq(t->agg_cols[k], col(t, want[i].agg[k]));
    }
    cr_expect_eq(cs_schema_table(CS_T_DIM_AGENT)->src_col, -1);
}

Test(schema, operational_tables_are_described_never_stored)
{
    static const struct {
        int id;
        const char *name;
        int ncols;
        const char *first, *last;
    } ops[] = {
        {CS_T_OP_AGENTS, "agents", 5, "agent_name", "cost_per_query_usd"},
        {CS_T_OP_QUERIES, "agent_queries", 10, "id", "created_at"},
        {CS_T_OP_APPROVALS, "agent_approvals", 8, "id", "resolved_at"},
        {CS_T_OP_FEEDBACK, "agent_feedback", 11, "id", "annotated_at"},
    };
    for (size_t i = 0; i < 4; i++) {
        const struct cs_table_def *t = cs_schema_op_table(ops[i].id);
        cr_assert_not_null(t);
        cr_expect_str_eq(t->name, ops[i].name);
        cr_expect(t->operational);
        cr_expect_eq(t->ncols, ops[i].ncols);
        cr_expect_str_eq(t->cols[0].name, ops[i].first);
        cr_expect_str_eq(t->cols[t->ncols - 1].name, ops[i].last);
        cr_expect_null(cs_schema_find_table(ops[i].name), "not a stored table");
        cr_expect_null(cs_schema_table(ops[i].id));
    }
    const struct cs_table_def *f = cs_schema_op_table(CS_T_OP_FEEDBACK);
    cr_expect_str_eq(f->cols[col(f, "labels")].def, "{}");
    cr_expect_eq(f->cols[col(f, "tone_score")].check, CS_CHECK_SCORE);
    cr_expect_eq(cs_schema_op_table(CS_T_OP_APPROVALS)->cols[CS_OP_STATUS].check, CS_CHECK_STATUS);
    cr_expect_null(cs_schema_op_table(100));
    cr_expect_null(cs_schema_op_table(105));
}
