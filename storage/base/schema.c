/* The seed's DDL as tables of column definitions (see schema.h). */
#include "storage/base/schema.h"

#include <string.h>

#define NN CS_COL_NOT_NULL
#define KEY (CS_COL_KEY | CS_COL_NOT_NULL)

static const struct cs_column_def dim_agent_cols[] = {
    {"agent_key", CS_TY_INT4, 0, 0, 0, KEY, NULL},
    {"agent_name", CS_TY_TEXT, 0, 0, 0, NN, NULL},
    {"agent_type", CS_TY_TEXT, 0, CS_CHECK_AGENT_TYPE, 0, NN, NULL},
    {"capabilities", CS_TY_JSONB, 0, 0, 0, 0, "[]"},
    {"sla_target_seconds", CS_TY_INT4, 0, 0, 0, 0, "300"},
    {"cost_per_query_usd", CS_TY_NUMERIC, 6, 0, 0, 0, "0"},
    {"valid_from", CS_TY_TIMESTAMPTZ, 0, 0, 0, NN | CS_COL_DEFAULT_NOW, NULL},
    {"valid_to", CS_TY_TIMESTAMPTZ, 0, 0, 0, 0, NULL},
    {"is_current", CS_TY_BOOL, 0, 0, 0, NN, "t"},
};

static const struct cs_column_def dim_time_cols[] = {
    {"time_key", CS_TY_INT4, 0, 0, 0, KEY, NULL},
    {"full_date", CS_TY_DATE, 0, 0, 0, NN, NULL},
    {"year", CS_TY_INT4, 0, 0, 0, NN, NULL},
    {"quarter", CS_TY_INT4, 0, 0, 0, NN, NULL},
    {"month", CS_TY_INT4, 0, 0, 0, NN, NULL},
    {"week", CS_TY_INT4, 0, 0, 0, NN, NULL},
    {"day_of_month", CS_TY_INT4, 0, 0, 0, NN, NULL},
    {"day_of_week", CS_TY_INT4, 0, 0, 0, NN, NULL},
    {"day_of_year", CS_TY_INT4, 0, 0, 0, NN, NULL},
    {"day_name", CS_TY_TEXT, 0, 0, 0, NN, NULL},
    {"month_name", CS_TY_TEXT, 0, 0, 0, NN, NULL},
    {"is_weekend", CS_TY_BOOL, 0, 0, 0, NN, NULL},
    {"is_holiday", CS_TY_BOOL, 0, 0, 0, NN, "f"},
    {"fiscal_year", CS_TY_INT4, 0, 0, 0, 0, NULL},
    {"fiscal_quarter", CS_TY_INT4, 0, 0, 0, 0, NULL},
    {"hour", CS_TY_INT4, 0, 0, 0, 0, NULL},
    {"minute", CS_TY_INT4, 0, 0, 0, 0, NULL},
};

static const struct cs_column_def dim_conversation_cols[] = {
    {"conv_key", CS_TY_INT4, 0, 0, 0, KEY, NULL},
    {"conversation_id", CS_TY_TEXT, 0, 0, 0, NN, NULL},
    {"first_seen_at", CS_TY_TIMESTAMPTZ, 0, 0, 0, NN, NULL},
    {"last_seen_at", CS_TY_TIMESTAMPTZ, 0, 0, 0, NN, NULL},
    {"total_queries", CS_TY_INT4, 0, 0, 0, 0, "0"},
    {"total_approvals", CS_TY_INT4, 0, 0, 0, 0, "0"},
    {"total_feedback", CS_TY_INT4, 0, 0, 0, 0, "0"},
    {"metadata", CS_TY_JSONB, 0, 0, 0, 0, "{}"},
};

static const struct cs_column_def dim_user_cols[] = {
    {"user_key", CS_TY_INT4, 0, 0, 0, KEY, NULL},
    {"user_id", CS_TY_TEXT, 0, 0, 0, NN, NULL},
    {"user_type", CS_TY_TEXT, 0, CS_CHECK_USER_TYPE, 0, NN, NULL},
    {"team", CS_TY_TEXT, 0, 0, 0, 0, NULL},
    {"valid_from", CS_TY_TIMESTAMPTZ, 0, 0, 0, NN | CS_COL_DEFAULT_NOW, NULL},
    {"valid_to", CS_TY_TIMESTAMPTZ, 0, 0, 0, 0, NULL},
    {"is_current", CS_TY_BOOL, 0, 0, 0, NN, "t"},
};

static const struct cs_column_def fact_agent_query_cols[] = {
    {"query_key", CS_TY_INT8, 0, 0, 0, KEY, NULL},
    {"agent_key", CS_TY_INT4, 0, 0, CS_T_DIM_AGENT, NN, NULL},
    {"time_key", CS_TY_INT4, 0, 0, CS_T_DIM_TIME, NN, NULL},
    {"conv_key", CS_TY_INT4, 0, 0, CS_T_DIM_CONVERSATION, NN, NULL},
    {"query_hash", CS_TY_HASH16, 0, 0, 0, NN, NULL},
    {"result_size_bytes", CS_TY_INT4, 0, 0, 0, 0, NULL},
    {"latency_ms", CS_TY_INT4, 0, 0, 0, NN, NULL},
    {"approved", CS_TY_BOOL, 0, 0, 0, 0, NULL},
    {"human_edited", CS_TY_BOOL, 0, 0, 0, NN, "f"},
    {"error_occurred", CS_TY_BOOL, 0, 0, 0, NN, "f"},
    {"created_at", CS_TY_TIMESTAMPTZ, 0, 0, 0, NN | CS_COL_DEFAULT_NOW, NULL},
    {"source_id", CS_TY_INT8, 0, 0, 0, CS_COL_HIDDEN, NULL},
};

static const struct cs_column_def fact_approval_cols[] = {
    {"approval_key", CS_TY_INT8, 0, 0, 0, KEY, NULL},
    {"agent_key", CS_TY_INT4, 0, 0, CS_T_DIM_AGENT, 0, NULL},
    {"time_key", CS_TY_INT4, 0, 0, CS_T_DIM_TIME, NN, NULL},
    {"conv_key", CS_TY_INT4, 0, 0, CS_T_DIM_CONVERSATION, NN, NULL},
    {"approved_by_key", CS_TY_INT4, 0, 0, CS_T_DIM_USER, 0, NULL},
    {"status", CS_TY_TEXT, 0, CS_CHECK_STATUS, 0, NN, NULL},
    {"resolution_time_seconds", CS_TY_INT4, 0, 0, 0, 0, NULL},
    {"interruption_count", CS_TY_INT4, 0, 0, 0, 0, "0"},
    {"sla_met", CS_TY_BOOL, 0, 0, 0, 0, NULL},
    {"created_at", CS_TY_TIMESTAMPTZ, 0, 0, 0, NN, NULL},
    {"resolved_at", CS_TY_TIMESTAMPTZ, 0, 0, 0, 0, NULL},
    {"source_id", CS_TY_INT8, 0, 0, 0, CS_COL_HIDDEN, NULL},
};

static const struct cs_column_def fact_training_cols[] = {
    {"training_key", CS_TY_INT8, 0, 0, 0, KEY, NULL},
    {"agent_key", CS_TY_INT4, 0, 0, CS_T_DIM_AGENT, 0, NULL},
    {"time_key", CS_TY_INT4, 0, 0, CS_T_DIM_TIME, NN, NULL},
    {"conv_key", CS_TY_INT4, 0, 0, CS_T_DIM_CONVERSATION, NN, NULL},
    {"annotator_key", CS_TY_INT4, 0, 0, CS_T_DIM_USER, 0, NULL},
    {"safe_to_send", CS_TY_BOOL, 0, 0, 0, 0, NULL},
    {"clarity_score", CS_TY_INT4, 0, CS_CHECK_SCORE, 0, 0, NULL},
    {"accuracy_score", CS_TY_INT4, 0, CS_CHECK_SCORE, 0, 0, NULL},
    {"tone_score", CS_TY_INT4, 0, CS_CHECK_SCORE, 0, 0, NULL},
    {"overall_score", CS_TY_NUMERIC, 2, 0, 0, CS_COL_GENERATED, NULL},
    {"labels", CS_TY_TEXT_ARRAY, 0, 0, 0, 0, "{}"},
    {"created_at", CS_TY_TIMESTAMPTZ, 0, 0, 0, NN, NULL},
    {"annotated_at", CS_TY_TIMESTAMPTZ, 0, 0, 0, 0, NULL},
    {"source_id", CS_TY_INT8, 0, 0, 0, CS_COL_HIDDEN, NULL},
};

static const struct cs_column_def agg_daily_cols[] = {
    {"agent_key", CS_TY_INT4, 0, 0, CS_T_DIM_AGENT, KEY, NULL},
    {"time_key", CS_TY_INT4, 0, 0, CS_T_DIM_TIME, KEY, NULL},
    {"total_queries", CS_TY_INT4, 0, 0, 0, NN, NULL},
    {"avg_latency_ms", CS_TY_NUMERIC, 2, 0, 0, 0, NULL},
    {"p95_latency_ms", CS_TY_NUMERIC, 2, 0, 0, 0, NULL},
    {"approval_rate_pct", CS_TY_NUMERIC, 2, 0, 0, 0, NULL},
    {"edit_rate_pct", CS_TY_NUMERIC, 2, 0, 0, 0, NULL},
    {"error_rate_pct", CS_TY_NUMERIC, 2, 0, 0, 0, NULL},
    {"total_approvals", CS_TY_INT4, 0, 0, 0, 0, NULL},
    {"total_feedback", CS_TY_INT4, 0, 0, 0, 0, NULL},
    {"unsafe_feedback_count", CS_TY_INT4, 0, 0, 0, 0, NULL},
    {"sla_compliance_pct", CS_TY_NUMERIC, 2, 0, 0, 0, NULL},
};

#define NCOLS(a) (uint8_t)(sizeof(a) / sizeof((a)[0]))

static const struct cs_table_def tables[] = {
    {CS_T_DIM_AGENT, "dim_agent", false, NCOLS(dim_agent_cols), 0, -1, 1, dim_agent_cols},
    {CS_T_DIM_TIME, "dim_time", false, NCOLS(dim_time_cols), 0, -1, -1, dim_time_cols},
    {CS_T_DIM_CONVERSATION, "dim_conversation", false, NCOLS(dim_conversation_cols), 0, -1, 1,
     dim_conversation_cols},
    {CS_T_DIM_USER, "dim_user", false, NCOLS(dim_user_cols), 0, -1, 1, dim_user_cols},
    {CS_T_FACT_AGENT_QUERY, "fact_agent_query", true, NCOLS(fact_agent_query_cols), 0, 2, -1,
     fact_agent_query_cols},
    {CS_T_FACT_APPROVAL, "fact_approval", true, NCOLS(fact_approval_cols), 0, 2, -1,
     fact_approval_cols},
    {CS_T_FACT_TRAINING, "fact_training", true, NCOLS(fact_training_cols), 0, 2, -1,
     fact_training_cols},
    {CS_T_AGG_DAILY, "agg_agent_daily_performance", true, NCOLS(agg_daily_cols), 0, 1, -1,
     agg_daily_cols},
};

_Static_assert(NCOLS(dim_agent_cols) == CS_AGENT_NCOLS, "dim_agent column enum");
_Static_assert(NCOLS(dim_time_cols) == CS_TIME_NCOLS, "dim_time column enum");
_Static_assert(NCOLS(dim_conversation_cols) == CS_CONV_NCOLS, "dim_conversation column enum");
_Static_assert(NCOLS(dim_user_cols) == CS_USER_NCOLS, "dim_user column enum");
_Static_assert(NCOLS(fact_agent_query_cols) == CS_FQ_NCOLS, "fact_agent_query column enum");
_Static_assert(NCOLS(fact_approval_cols) == CS_FA_NCOLS, "fact_approval column enum");
_Static_assert(NCOLS(fact_training_cols) == CS_FT_NCOLS, "fact_training column enum");
_Static_assert(NCOLS(agg_daily_cols) == CS_AGG_NCOLS, "agg column enum");
_Static_assert(CS_FT_NCOLS <= CS_MAX_COLS && CS_TIME_NCOLS <= CS_MAX_COLS, "CS_MAX_COLS");

const struct cs_table_def *cs_schema_table(int id)
{
    if (id < CS_TABLE_MIN || id > CS_TABLE_MAX) return NULL;
    return &tables[id - CS_TABLE_MIN];
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

int cs_type_kind(int type)
{
    switch (type) {
    case CS_TY_BOOL: return CS_K_BOOL;
    case CS_TY_TEXT:
    case CS_TY_JSONB:
    case CS_TY_TEXT_ARRAY: return CS_K_STR;
    case CS_TY_HASH16: return CS_K_FIX16;
    default: return CS_K_I64;
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
    static const char *const user_types[] = {"annotator", "approver", "qa_team", "operator",
                                             NULL};
    static const char *const statuses[] = {"pending", "approved", "rejected", "expired", NULL};
    switch (check) {
    case CS_CHECK_AGENT_TYPE: return in_set(agent_types, v, len);
    case CS_CHECK_USER_TYPE: return in_set(user_types, v, len);
    case CS_CHECK_STATUS: return in_set(statuses, v, len);
    default: return true;
    }
}
