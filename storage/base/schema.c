/* The seed's DDL as tables of column definitions (see schema.h). */
#include "storage/base/schema.h"

#include <stdio.h>
#include <string.h>

#define NN  CS_COL_NOT_NULL
#define KEY (CS_COL_KEY | CS_COL_NOT_NULL)

static const struct cs_column_def dim_agent_cols[] = {
    {"agent_key", CS_TY_INT4, 0, 0, 0, KEY, NULL, 0},
    {"agent_name", CS_TY_TEXT, 0, 0, 0, NN, NULL, 0},
    {"agent_type", CS_TY_TEXT, 0, CS_CHECK_AGENT_TYPE, 0, NN, NULL, 0},
    {"capabilities", CS_TY_JSONB, 0, 0, 0, 0, "[]", 0},
    {"sla_target_seconds", CS_TY_INT4, 0, 0, 0, 0, "300", 0},
    {"cost_per_query_usd", CS_TY_NUMERIC, 6, 0, 0, 0, "0", 10},
    {"valid_from", CS_TY_TIMESTAMPTZ, 0, 0, 0, NN | CS_COL_DEFAULT_NOW, NULL, 0},
    {"valid_to", CS_TY_TIMESTAMPTZ, 0, 0, 0, 0, NULL, 0},
    {"is_current", CS_TY_BOOL, 0, 0, 0, NN, "t", 0},
};

static const struct cs_column_def dim_time_cols[] = {
    {"time_key", CS_TY_INT4, 0, 0, 0, KEY, NULL, 0},
    {"full_date", CS_TY_DATE, 0, 0, 0, NN, NULL, 0},
    {"year", CS_TY_INT4, 0, 0, 0, NN, NULL, 0},
    {"quarter", CS_TY_INT4, 0, 0, 0, NN, NULL, 0},
    {"month", CS_TY_INT4, 0, 0, 0, NN, NULL, 0},
    {"week", CS_TY_INT4, 0, 0, 0, NN, NULL, 0},
    {"day_of_month", CS_TY_INT4, 0, 0, 0, NN, NULL, 0},
    {"day_of_week", CS_TY_INT4, 0, 0, 0, NN, NULL, 0},
    {"day_of_year", CS_TY_INT4, 0, 0, 0, NN, NULL, 0},
    {"day_name", CS_TY_TEXT, 0, 0, 0, NN, NULL, 0},
    {"month_name", CS_TY_TEXT, 0, 0, 0, NN, NULL, 0},
    {"is_weekend", CS_TY_BOOL, 0, 0, 0, NN, NULL, 0},
    {"is_holiday", CS_TY_BOOL, 0, 0, 0, NN, "f", 0},
    {"fiscal_year", CS_TY_INT4, 0, 0, 0, 0, NULL, 0},
    {"fiscal_quarter", CS_TY_INT4, 0, 0, 0, 0, NULL, 0},
    {"hour", CS_TY_INT4, 0, 0, 0, 0, NULL, 0},
    {"minute", CS_TY_INT4, 0, 0, 0, 0, NULL, 0},
};

static const struct cs_column_def dim_conversation_cols[] = {
    {"conv_key", CS_TY_INT4, 0, 0, 0, KEY, NULL, 0},
    {"conversation_id", CS_TY_TEXT, 0, 0, 0, NN, NULL, 0},
    {"first_seen_at", CS_TY_TIMESTAMPTZ, 0, 0, 0, NN, NULL, 0},
    {"last_seen_at", CS_TY_TIMESTAMPTZ, 0, 0, 0, NN, NULL, 0},
    {"total_queries", CS_TY_INT4, 0, 0, 0, 0, "0", 0},
    {"total_approvals", CS_TY_INT4, 0, 0, 0, 0, "0", 0},
    {"total_feedback", CS_TY_INT4, 0, 0, 0, 0, "0", 0},
    {"metadata", CS_TY_JSONB, 0, 0, 0, 0, "{}", 0},
};

static const struct cs_column_def dim_user_cols[] = {
    {"user_key", CS_TY_INT4, 0, 0, 0, KEY, NULL, 0},
    {"user_id", CS_TY_TEXT, 0, 0, 0, NN, NULL, 0},
    {"user_type", CS_TY_TEXT, 0, CS_CHECK_USER_TYPE, 0, NN, NULL, 0},
    {"team", CS_TY_TEXT, 0, 0, 0, 0, NULL, 0},
    {"valid_from", CS_TY_TIMESTAMPTZ, 0, 0, 0, NN | CS_COL_DEFAULT_NOW, NULL, 0},
    {"valid_to", CS_TY_TIMESTAMPTZ, 0, 0, 0, 0, NULL, 0},
    {"is_current", CS_TY_BOOL, 0, 0, 0, NN, "t", 0},
};

static const struct cs_column_def fact_agent_query_cols[] = {
    {"query_key", CS_TY_INT8, 0, 0, 0, KEY, NULL, 0},
    {"agent_key", CS_TY_INT4, 0, 0, CS_T_DIM_AGENT, NN, NULL, 0},
    {"time_key", CS_TY_INT4, 0, 0, CS_T_DIM_TIME, NN, NULL, 0},
    {"conv_key", CS_TY_INT4, 0, 0, CS_T_DIM_CONVERSATION, NN, NULL, 0},
    {"query_hash", CS_TY_HASH16, 0, 0, 0, NN, NULL, 0},
    {"result_size_bytes", CS_TY_INT4, 0, 0, 0, 0, NULL, 0},
    {"latency_ms", CS_TY_INT4, 0, 0, 0, NN, NULL, 0},
    {"approved", CS_TY_BOOL, 0, 0, 0, 0, NULL, 0},
    {"human_edited", CS_TY_BOOL, 0, 0, 0, NN, "f", 0},
    {"error_occurred", CS_TY_BOOL, 0, 0, 0, NN, "f", 0},
    {"created_at", CS_TY_TIMESTAMPTZ, 0, 0, 0, NN | CS_COL_DEFAULT_NOW, NULL, 0},
    {"source_id", CS_TY_INT8, 0, 0, 0, CS_COL_HIDDEN, NULL, 0},
};

static const struct cs_column_def fact_approval_cols[] = {
    {"approval_key", CS_TY_INT8, 0, 0, 0, KEY, NULL, 0},
    {"agent_key", CS_TY_INT4, 0, 0, CS_T_DIM_AGENT, 0, NULL, 0},
    {"time_key", CS_TY_INT4, 0, 0, CS_T_DIM_TIME, NN, NULL, 0},
    {"conv_key", CS_TY_INT4, 0, 0, CS_T_DIM_CONVERSATION, NN, NULL, 0},
    {"approved_by_key", CS_TY_INT4, 0, 0, CS_T_DIM_USER, 0, NULL, 0},
    {"status", CS_TY_TEXT, 0, CS_CHECK_STATUS, 0, NN, NULL, 0},
    {"resolution_time_seconds", CS_TY_INT4, 0, 0, 0, 0, NULL, 0},
    {"interruption_count", CS_TY_INT4, 0, 0, 0, 0, "0", 0},
    {"sla_met", CS_TY_BOOL, 0, 0, 0, 0, NULL, 0},
    {"created_at", CS_TY_TIMESTAMPTZ, 0, 0, 0, NN, NULL, 0},
    {"resolved_at", CS_TY_TIMESTAMPTZ, 0, 0, 0, 0, NULL, 0},
    {"source_id", CS_TY_INT8, 0, 0, 0, CS_COL_HIDDEN, NULL, 0},
};

static const struct cs_column_def fact_training_cols[] = {
    {"training_key", CS_TY_INT8, 0, 0, 0, KEY, NULL, 0},
    {"agent_key", CS_TY_INT4, 0, 0, CS_T_DIM_AGENT, 0, NULL, 0},
    {"time_key", CS_TY_INT4, 0, 0, CS_T_DIM_TIME, NN, NULL, 0},
    {"conv_key", CS_TY_INT4, 0, 0, CS_T_DIM_CONVERSATION, NN, NULL, 0},
    {"annotator_key", CS_TY_INT4, 0, 0, CS_T_DIM_USER, 0, NULL, 0},
    {"safe_to_send", CS_TY_BOOL, 0, 0, 0, 0, NULL, 0},
    {"clarity_score", CS_TY_INT4, 0, CS_CHECK_SCORE, 0, 0, NULL, 0},
    {"accuracy_score", CS_TY_INT4, 0, CS_CHECK_SCORE, 0, 0, NULL, 0},
    {"tone_score", CS_TY_INT4, 0, CS_CHECK_SCORE, 0, 0, NULL, 0},
    {"overall_score", CS_TY_NUMERIC, 2, 0, 0, CS_COL_GENERATED, NULL, 3},
    {"labels", CS_TY_TEXT_ARRAY, 0, 0, 0, 0, "{}", 0},
    {"created_at", CS_TY_TIMESTAMPTZ, 0, 0, 0, NN, NULL, 0},
    {"annotated_at", CS_TY_TIMESTAMPTZ, 0, 0, 0, 0, NULL, 0},
    {"source_id", CS_TY_INT8, 0, 0, 0, CS_COL_HIDDEN, NULL, 0},
};

static const struct cs_column_def agg_daily_cols[] = {
    {"agent_key", CS_TY_INT4, 0, 0, CS_T_DIM_AGENT, KEY, NULL, 0},
    {"time_key", CS_TY_INT4, 0, 0, CS_T_DIM_TIME, KEY, NULL, 0},
    {"total_queries", CS_TY_INT4, 0, 0, 0, NN, NULL, 0},
    {"avg_latency_ms", CS_TY_NUMERIC, 2, 0, 0, 0, NULL, 10},
    {"p95_latency_ms", CS_TY_NUMERIC, 2, 0, 0, 0, NULL, 10},
    {"approval_rate_pct", CS_TY_NUMERIC, 2, 0, 0, 0, NULL, 5},
    {"edit_rate_pct", CS_TY_NUMERIC, 2, 0, 0, 0, NULL, 5},
    {"error_rate_pct", CS_TY_NUMERIC, 2, 0, 0, 0, NULL, 5},
    {"total_approvals", CS_TY_INT4, 0, 0, 0, 0, NULL, 0},
    {"total_feedback", CS_TY_INT4, 0, 0, 0, 0, NULL, 0},
    {"unsafe_feedback_count", CS_TY_INT4, 0, 0, 0, 0, NULL, 0},
    {"sla_compliance_pct", CS_TY_NUMERIC, 2, 0, 0, 0, NULL, 5},
};

#define NCOLS(a) (uint8_t)(sizeof(a) / sizeof((a)[0]))

/* The operational tables (docs/contract.md, nightly job). CHECKs the warehouse would apply to the rows they become
 * are checked here already, so a bad value is reported at its line and column. */
static const struct cs_column_def op_agents_cols[] = {
    {"agent_name", CS_TY_TEXT, 0, 0, 0, KEY, NULL, 0},
    {"agent_type", CS_TY_TEXT, 0, CS_CHECK_AGENT_TYPE, 0, NN, NULL, 0},
    {"capabilities", CS_TY_JSONB, 0, 0, 0, 0, NULL, 0},
    {"sla_target_seconds", CS_TY_INT4, 0, 0, 0, 0, NULL, 0},
    {"cost_per_query_usd", CS_TY_NUMERIC, 6, 0, 0, 0, NULL, 10},
};

static const struct cs_column_def op_queries_cols[] = {
    {"id", CS_TY_INT8, 0, 0, 0, KEY, NULL, 0},
    {"agent", CS_TY_TEXT, 0, 0, 0, NN, NULL, 0},
    {"conversation_id", CS_TY_TEXT, 0, 0, 0, NN, NULL, 0},
    {"query", CS_TY_TEXT, 0, 0, 0, NN, NULL, 0},
    {"result_size_bytes", CS_TY_INT4, 0, 0, 0, 0, NULL, 0},
    {"latency_ms", CS_TY_INT4, 0, 0, 0, NN, NULL, 0},
    {"approved", CS_TY_BOOL, 0, 0, 0, 0, NULL, 0},
    {"human_edited", CS_TY_BOOL, 0, 0, 0, NN, "f", 0},
    {"error_occurred", CS_TY_BOOL, 0, 0, 0, NN, "f", 0},
    {"created_at", CS_TY_TIMESTAMPTZ, 0, 0, 0, NN, NULL, 0},
};

static const struct cs_column_def op_approvals_cols[] = {
    {"id", CS_TY_INT8, 0, 0, 0, KEY, NULL, 0},
    {"agent", CS_TY_TEXT, 0, 0, 0, 0, NULL, 0},
    {"conversation_id", CS_TY_TEXT, 0, 0, 0, NN, NULL, 0},
    {"approved_by", CS_TY_TEXT, 0, 0, 0, 0, NULL, 0},
    {"status", CS_TY_TEXT, 0, CS_CHECK_STATUS, 0, NN, NULL, 0},
    {"interruption_count", CS_TY_INT4, 0, 0, 0, 0, "0", 0},
    {"created_at", CS_TY_TIMESTAMPTZ, 0, 0, 0, NN, NULL, 0},
    {"resolved_at", CS_TY_TIMESTAMPTZ, 0, 0, 0, 0, NULL, 0},
};

static const struct cs_column_def op_feedback_cols[] = {
    {"id", CS_TY_INT8, 0, 0, 0, KEY, NULL, 0},
    {"agent", CS_TY_TEXT, 0, 0, 0, 0, NULL, 0},
    {"conversation_id", CS_TY_TEXT, 0, 0, 0, NN, NULL, 0},
    {"annotator", CS_TY_TEXT, 0, 0, 0, 0, NULL, 0},
    {"safe_to_send", CS_TY_BOOL, 0, 0, 0, 0, NULL, 0},
    {"clarity_score", CS_TY_INT4, 0, CS_CHECK_SCORE, 0, 0, NULL, 0},
    {"accuracy_score", CS_TY_INT4, 0, CS_CHECK_SCORE, 0, 0, NULL, 0},
    {"tone_score", CS_TY_INT4, 0, CS_CHECK_SCORE, 0, 0, NULL, 0},
    {"labels", CS_TY_TEXT_ARRAY, 0, 0, 0, 0, "{}", 0},
    {"created_at", CS_TY_TIMESTAMPTZ, 0, 0, 0, NN, NULL, 0},
    {"annotated_at", CS_TY_TIMESTAMPTZ, 0, 0, 0, 0, NULL, 0},
};

/* The columns cs_daily_agg_compute() reads of each fact table. */
static const int8_t agg_in_q[] = {CS_FQ_AGENT, CS_FQ_LATENCY, CS_FQ_APPROVED, CS_FQ_HUMAN_EDITED,
                                  CS_FQ_ERROR};
static const int8_t agg_in_a[] = {CS_FA_AGENT, CS_FA_SLA_MET};
static const int8_t agg_in_t[] = {CS_FT_AGENT, CS_FT_SAFE};

#define NO_SCD     \
    {              \
        -1, -1, -1 \
    }
#define NO_GEN .gen_col = -1, .gen_args = {-1, -1, -1}

static const struct cs_table_def tables[] = {
    {CS_T_DIM_AGENT, "dim_agent", false, NCOLS(dim_agent_cols), 0, -1, 1, dim_agent_cols,
     .name_rule = CS_NAME_UNIQUE_CURRENT,
     .scd = {CS_AGENT_VALID_FROM, CS_AGENT_VALID_TO, CS_AGENT_IS_CURRENT}, .src_col = -1, NO_GEN},
    {CS_T_DIM_TIME, "dim_time", false, NCOLS(dim_time_cols), 0, -1, -1, dim_time_cols,
     .scd = NO_SCD, .src_col = -1, NO_GEN},
    {CS_T_DIM_CONVERSATION, "dim_conversation", false, NCOLS(dim_conversation_cols), 0, -1, 1,
     dim_conversation_cols, .name_rule = CS_NAME_UNIQUE, .scd = NO_SCD, .src_col = -1, NO_GEN},
    {CS_T_DIM_USER, "dim_user", false, NCOLS(dim_user_cols), 0, -1, 1, dim_user_cols,
     .name_rule = CS_NAME_UNIQUE, .scd = {CS_USER_VALID_FROM, CS_USER_VALID_TO, CS_USER_IS_CURRENT},
     .src_col = -1, NO_GEN},
    {CS_T_FACT_AGENT_QUERY, "fact_agent_query", true, NCOLS(fact_agent_query_cols), 0, 2, -1,
     fact_agent_query_cols, .scd = NO_SCD, .src_col = CS_FQ_SRC_ID, NO_GEN, .nagg = NCOLS(agg_in_q),
     .agg_cols = agg_in_q},
    {CS_T_FACT_APPROVAL, "fact_approval", true, NCOLS(fact_approval_cols), 0, 2, -1,
     fact_approval_cols, .scd = NO_SCD, .src_col = CS_FA_SRC_ID, NO_GEN, .nagg = NCOLS(agg_in_a),
     .agg_cols = agg_in_a},
    {CS_T_FACT_TRAINING, "fact_training", true, NCOLS(fact_training_cols), 0, 2, -1,
     fact_training_cols, .scd = NO_SCD, .src_col = CS_FT_SRC_ID, .gen_col = CS_FT_OVERALL,
     .gen_args = {CS_FT_CLARITY, CS_FT_ACCURACY, CS_FT_TONE}, .nagg = NCOLS(agg_in_t),
     .agg_cols = agg_in_t},
    {CS_T_AGG_DAILY, "agg_agent_daily_performance", true, NCOLS(agg_daily_cols), 0, 1, -1,
     agg_daily_cols, .scd = NO_SCD, .src_col = -1, NO_GEN},
};

static const struct cs_table_def op_tables[] = {
    {CS_T_OP_AGENTS, "agents", false, NCOLS(op_agents_cols), 0, -1, 0, op_agents_cols,
     .name_rule = CS_NAME_UNIQUE, .scd = NO_SCD, .src_col = -1, NO_GEN, .operational = true},
    {CS_T_OP_QUERIES, "agent_queries", false, NCOLS(op_queries_cols), 0, -1, -1, op_queries_cols,
     .scd = NO_SCD, .src_col = -1, NO_GEN, .operational = true},
    {CS_T_OP_APPROVALS, "agent_approvals", false, NCOLS(op_approvals_cols), 0, -1, -1,
     op_approvals_cols, .scd = NO_SCD, .src_col = -1, NO_GEN, .operational = true},
    {CS_T_OP_FEEDBACK, "agent_feedback", false, NCOLS(op_feedback_cols), 0, -1, -1,
     op_feedback_cols, .scd = NO_SCD, .src_col = -1, NO_GEN, .operational = true},
};

_Static_assert(NCOLS(dim_agent_cols) == CS_AGENT_NCOLS, "dim_agent column enum");
_Static_assert(NCOLS(dim_time_cols) == CS_TIME_NCOLS, "dim_time column enum");
_Static_assert(NCOLS(dim_conversation_cols) == CS_CONV_NCOLS, "dim_conversation column enum");
_Static_assert(NCOLS(dim_user_cols) == CS_USER_NCOLS, "dim_user column enum");
_Static_assert(NCOLS(fact_agent_query_cols) == CS_FQ_NCOLS, "fact_agent_query column enum");
_Static_assert(NCOLS(fact_approval_cols) == CS_FA_NCOLS, "fact_approval column enum");
_Static_assert(NCOLS(fact_training_cols) == CS_FT_NCOLS, "fact_training column enum");
_Static_assert(NCOLS(agg_daily_cols) == CS_AGG_NCOLS, "agg column enum");
_Static_assert(NCOLS(op_agents_cols) == CS_OA_NCOLS, "agents column enum");
_Static_assert(NCOLS(op_queries_cols) == CS_OQ_NCOLS, "agent_queries column enum");
_Static_assert(NCOLS(op_approvals_cols) == CS_OP_NCOLS, "agent_approvals column enum");
_Static_assert(NCOLS(op_feedback_cols) == CS_OF_NCOLS, "agent_feedback column enum");
_Static_assert(CS_FT_NCOLS <= CS_MAX_COLS && CS_TIME_NCOLS <= CS_MAX_COLS, "CS_MAX_COLS");

const struct cs_table_def *cs_schema_table(int id)
{
    if (id < CS_TABLE_MIN || id > CS_TABLE_MAX) return NULL;
    return &tables[id - CS_TABLE_MIN];
}

const struct cs_table_def *cs_schema_op_table(int id)
{
    if (id < CS_OP_TABLE_MIN || id > CS_OP_TABLE_MAX) return NULL;
    return &op_tables[id - CS_OP_TABLE_MIN];
}

const struct cs_table_def *cs_schema_find_table(const char *name)
{
    if (name == NULL) return NULL;
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        if (strcmp(tables[i].name, name) == 0) return &tables[i];
    }
    return NULL;
}

int cs_schema_find_column(const struct cs_table_def *t, const char *name, size_t name_len)
{
    for (int i = 0; i < t->ncols; i++) {
        const char *c = t->cols[i].name;
        if (strlen(c) == name_len && memcmp(c, name, name_len) == 0) return i;
    }
    return -1;
}

const char *cs_column_pg_type(const struct cs_column_def *c, char *buf, size_t cap)
{
    const char *name = "text"; /* TEXT, and HASH16: text in PostgreSQL, 16 bytes stored */
    switch (c->type) {
    case CS_TY_INT4:
        name = "integer";
        break;
    case CS_TY_INT8:
        name = "bigint";
        break;
    case CS_TY_BOOL:
        name = "boolean";
        break;
    case CS_TY_DATE:
        name = "date";
        break;
    case CS_TY_TIMESTAMPTZ:
        name = "timestamptz";
        break;
    case CS_TY_JSONB:
        name = "jsonb";
        break;
    case CS_TY_TEXT_ARRAY:
        name = "text[]";
        break;
    case CS_TY_NUMERIC:
        if (c->precision == 0) break; /* unconstrained */
        (void)snprintf(buf, cap, "numeric(%d,%d)", c->precision, c->scale);
        return buf;
    default:
        break;
    }
    if (c->type == CS_TY_NUMERIC) name = "numeric";
    (void)snprintf(buf, cap, "%s", name);
    return buf;
}

int cs_type_kind(int type)
{
    switch (type) {
    case CS_TY_BOOL:
        return CS_K_BOOL;
    case CS_TY_TEXT:
    case CS_TY_JSONB:
    case CS_TY_TEXT_ARRAY:
        return CS_K_STR;
    case CS_TY_HASH16:
        return CS_K_FIX16;
    default:
        return CS_K_I64;
    }
}

static bool in_set(const char *const *set, const char *v, size_t len)
{
    for (; *set != NULL; set++) {
        if (strlen(*set) == len && memcmp(*set, v, len) == 0) return true;
    }
    return false;
}

bool cs_check_allows_text(int check, const char *v, size_t len)
{
    static const char *const agent_types[] = {"data", "engineer", "support", "marketing",
                                              "ai",   "qa",       "ops",     NULL};
    static const char *const user_types[] = {"annotator", "approver", "qa_team", "operator", NULL};
    static const char *const statuses[] = {"pending", "approved", "rejected", "expired", NULL};
    switch (check) {
    case CS_CHECK_AGENT_TYPE:
        return in_set(agent_types, v, len);
    case CS_CHECK_USER_TYPE:
        return in_set(user_types, v, len);
    case CS_CHECK_STATUS:
        return in_set(statuses, v, len);
    default:
        return true;
    }
}
