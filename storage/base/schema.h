/*
 * The warehouse schema (seed DDL, docs/contract.md, warehouse exports) as data: tables, columns in DDL order, logical
 * types, NOT NULL, defaults, CHECK sets and foreign keys. Every layer reads the schema from
 * here; nothing else hard-codes a column position.
 *
 * Table and type ids are stored on disk: numbered explicitly, never renumbered.
 */
#ifndef CS_SCHEMA_H
#define CS_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cs_table_id {
    CS_T_DIM_AGENT = 1,
    CS_T_DIM_TIME = 2,
    CS_T_DIM_CONVERSATION = 3,
    CS_T_DIM_USER = 4,
    CS_T_FACT_AGENT_QUERY = 5,
    CS_T_FACT_APPROVAL = 6,
    CS_T_FACT_TRAINING = 7,
    CS_T_AGG_DAILY = 8, /* agg_agent_daily_performance */
};
#define CS_TABLE_MIN 1
#define CS_TABLE_MAX 8

/* The operational tables, the nightly job's input (docs/contract.md): described here so that one
 * parser reads their exports, never stored (ids outside CS_TABLE_MIN..CS_TABLE_MAX). */
enum cs_op_table_id {
    CS_T_OP_AGENTS = 101,
    CS_T_OP_QUERIES = 102,   /* agent_queries */
    CS_T_OP_APPROVALS = 103, /* agent_approvals */
    CS_T_OP_FEEDBACK = 104,  /* agent_feedback */
};
#define CS_OP_TABLE_MIN 101
#define CS_OP_TABLE_MAX 104

/* Logical types: how a value is parsed and printed. */
enum cs_type {
    CS_TY_INT4 = 1,
    CS_TY_INT8 = 2,
    CS_TY_BOOL = 3,
    CS_TY_DATE = 4,        /* days since 1970-01-01 */
    CS_TY_TIMESTAMPTZ = 5, /* microseconds since 1970-01-01 00:00:00 UTC */
    CS_TY_NUMERIC = 6,     /* value * 10^scale as int64 */
    CS_TY_TEXT = 7,
    CS_TY_JSONB = 8,      /* text as PostgreSQL prints jsonb */
    CS_TY_TEXT_ARRAY = 9, /* text of the array literal as PostgreSQL prints it */
    CS_TY_HASH16 = 10,    /* 32 lower-case hex digits in text, 16 bytes stored */
    CS_TY_FLOAT8 = 11,    /* results only (percentile_cont): the double's bits in an int64 */
};

/* Physical kinds: how a value sits in memory (struct cs_col) and in a segment. */
enum cs_kind {
    CS_K_I64 = 1,   /* INT4 INT8 DATE TIMESTAMPTZ NUMERIC */
    CS_K_BOOL = 2,  /* BOOL: one byte 0/1 in memory, bits on disk */
    CS_K_STR = 3,   /* TEXT JSONB TEXT_ARRAY */
    CS_K_FIX16 = 4, /* HASH16 */
};

enum cs_check {
    CS_CHECK_NONE = 0,
    CS_CHECK_AGENT_TYPE = 1, /* data engineer support marketing ai qa ops */
    CS_CHECK_USER_TYPE = 2,  /* annotator approver qa_team operator */
    CS_CHECK_STATUS = 3,     /* pending approved rejected expired */
    CS_CHECK_SCORE = 4,      /* 1..5 */
};

enum cs_column_flags {
    CS_COL_NOT_NULL = 1u << 0,
    CS_COL_KEY = 1u << 1,       /* the table's primary key (or part of it, agg table) */
    CS_COL_GENERATED = 1u << 2, /* overall_score: computed, checked when present */
    CS_COL_HIDDEN = 1u << 3,    /* stored, never dumped (operational source id) */
    CS_COL_DEFAULT_NOW = 1u << 4,
};

struct cs_column_def {
    const char *name;
    uint8_t type;      /* enum cs_type */
    uint8_t scale;     /* NUMERIC only */
    uint8_t check;     /* enum cs_check */
    uint8_t fk;        /* enum cs_table_id referenced, 0 when none */
    unsigned flags;    /* enum cs_column_flags */
    const char *def;   /* default as PostgreSQL text, NULL for none (NULL value) */
    uint8_t precision; /* NUMERIC(precision, scale); 0 = unconstrained */
};

/* How a dimension's natural key (name_col) is unique. */
enum cs_name_rule {
    CS_NAME_NONE = 0,
    CS_NAME_UNIQUE = 1,         /* one row per name (conversation_id, user_id) */
    CS_NAME_UNIQUE_CURRENT = 2, /* SCD-2: one current version per name (agent_name) */
};

/* The roles of an SCD-2 dimension's columns (-1 when the table has none). */
struct cs_scd_roles {
    int8_t valid_from, valid_to, is_current;
};

/* A generated column: gen_col = round(avg(gen_args), scale) (overall_score of fact_training,
 * PostgreSQL's (clarity + accuracy + tone) / 3.0 stored as numeric(3,2)); gen_col -1: none. */

struct cs_table_def {
    uint8_t id;       /* enum cs_table_id */
    const char *name; /* "fact_agent_query" */
    bool is_fact;     /* partitioned by time_key */
    uint8_t ncols;    /* columns including hidden ones */
    uint8_t key_col;  /* primary-key column (first of the two for the agg table) */
    int8_t time_col;  /* time_key column, -1 for dimensions */
    int8_t name_col;  /* natural key of a dimension (agent_name, user_id, ...), -1 if none */
    const struct cs_column_def *cols;
    uint8_t name_rule;       /* enum cs_name_rule of name_col */
    struct cs_scd_roles scd; /* valid_from / valid_to / is_current, or -1 */
    int8_t src_col;          /* hidden operational id of a fact row (source_id), or -1 */
    int8_t gen_col;          /* generated column, or -1 */
    int8_t gen_args[3];      /* its inputs */
    uint8_t nagg;            /* columns the daily aggregate reads of this fact table */
    const int8_t *agg_cols;
    bool
        operational; /* an operational table (docs/contract.md, nightly job): parsed, never stored */
};

#define CS_MAX_COLS 20

/* cs_schema_table() - the definition of table id, or NULL when id is not a table. */
const struct cs_table_def *cs_schema_table(int id);

/* cs_schema_find_table() - the definition of the stored table named `name`, or NULL. */
const struct cs_table_def *cs_schema_find_table(const char *name);

/* cs_schema_op_table() - the definition of operational table id (CS_T_OP_*), or NULL. */
const struct cs_table_def *cs_schema_op_table(int id);

/* cs_schema_find_column() - index of column `name` in t, or -1. */
int cs_schema_find_column(const struct cs_table_def *t, const char *name, size_t name_len);

/* cs_column_pg_type() - the column's type as PostgreSQL's DDL spells it ("integer",
 * "numeric(10,6)", "timestamptz", "text[]", ...) into buf (cap bytes, >= 32); returns buf. */
const char *cs_column_pg_type(const struct cs_column_def *c, char *buf, size_t cap);

/* cs_type_kind() - the physical kind of a logical type. */
int cs_type_kind(int type);

/* cs_check_allows() - whether text value v (len bytes) passes CHECK set c (text checks). */
bool cs_check_allows_text(int check, const char *v, size_t len);

/* Column indexes used by the query and etl layers: kept beside the tables they index and
 * verified against the names by _Static_assert-free unit test tests/storage/test_schema.c. */
enum {
    CS_AGENT_KEY = 0,
    CS_AGENT_NAME,
    CS_AGENT_TYPE,
    CS_AGENT_CAPABILITIES,
    CS_AGENT_SLA,
    CS_AGENT_COST,
    CS_AGENT_VALID_FROM,
    CS_AGENT_VALID_TO,
    CS_AGENT_IS_CURRENT,
    CS_AGENT_NCOLS
};
enum {
    CS_TIME_KEY = 0,
    CS_TIME_FULL_DATE,
    CS_TIME_YEAR,
    CS_TIME_QUARTER,
    CS_TIME_MONTH,
    CS_TIME_WEEK,
    CS_TIME_DAY_OF_MONTH,
    CS_TIME_DAY_OF_WEEK,
    CS_TIME_DAY_OF_YEAR,
    CS_TIME_DAY_NAME,
    CS_TIME_MONTH_NAME,
    CS_TIME_IS_WEEKEND,
    CS_TIME_IS_HOLIDAY,
    CS_TIME_FISCAL_YEAR,
    CS_TIME_FISCAL_QUARTER,
    CS_TIME_HOUR,
    CS_TIME_MINUTE,
    CS_TIME_NCOLS
};
enum {
    CS_CONV_KEY = 0,
    CS_CONV_ID,
    CS_CONV_FIRST_SEEN,
    CS_CONV_LAST_SEEN,
    CS_CONV_TOTAL_QUERIES,
    CS_CONV_TOTAL_APPROVALS,
    CS_CONV_TOTAL_FEEDBACK,
    CS_CONV_METADATA,
    CS_CONV_NCOLS
};
enum {
    CS_USER_KEY = 0,
    CS_USER_ID,
    CS_USER_TYPE,
    CS_USER_TEAM,
    CS_USER_VALID_FROM,
    CS_USER_VALID_TO,
    CS_USER_IS_CURRENT,
    CS_USER_NCOLS
};
enum {
    CS_FQ_KEY = 0,
    CS_FQ_AGENT,
    CS_FQ_TIME,
    CS_FQ_CONV,
    CS_FQ_HASH,
    CS_FQ_RESULT_SIZE,
    CS_FQ_LATENCY,
    CS_FQ_APPROVED,
    CS_FQ_HUMAN_EDITED,
    CS_FQ_ERROR,
    CS_FQ_CREATED_AT,
    CS_FQ_SRC_ID,
    CS_FQ_NCOLS
};
enum {
    CS_FA_KEY = 0,
    CS_FA_AGENT,
    CS_FA_TIME,
    CS_FA_CONV,
    CS_FA_APPROVED_BY,
    CS_FA_STATUS,
    CS_FA_RESOLUTION_S,
    CS_FA_INTERRUPTIONS,
    CS_FA_SLA_MET,
    CS_FA_CREATED_AT,
    CS_FA_RESOLVED_AT,
    CS_FA_SRC_ID,
    CS_FA_NCOLS
};
enum {
    CS_FT_KEY = 0,
    CS_FT_AGENT,
    CS_FT_TIME,
    CS_FT_CONV,
    CS_FT_ANNOTATOR,
    CS_FT_SAFE,
    CS_FT_CLARITY,
    CS_FT_ACCURACY,
    CS_FT_TONE,
    CS_FT_OVERALL,
    CS_FT_LABELS,
    CS_FT_CREATED_AT,
    CS_FT_ANNOTATED_AT,
    CS_FT_SRC_ID,
    CS_FT_NCOLS
};
enum { CS_OA_NAME = 0, CS_OA_TYPE, CS_OA_CAPABILITIES, CS_OA_SLA, CS_OA_COST, CS_OA_NCOLS };
enum {
    CS_OQ_ID = 0,
    CS_OQ_AGENT,
    CS_OQ_CONV,
    CS_OQ_QUERY,
    CS_OQ_RESULT_SIZE,
    CS_OQ_LATENCY,
    CS_OQ_APPROVED,
    CS_OQ_HUMAN_EDITED,
    CS_OQ_ERROR,
    CS_OQ_CREATED_AT,
    CS_OQ_NCOLS
};
enum {
    CS_OP_ID = 0,
    CS_OP_AGENT,
    CS_OP_CONV,
    CS_OP_APPROVED_BY,
    CS_OP_STATUS,
    CS_OP_INTERRUPTIONS,
    CS_OP_CREATED_AT,
    CS_OP_RESOLVED_AT,
    CS_OP_NCOLS
};
enum {
    CS_OF_ID = 0,
    CS_OF_AGENT,
    CS_OF_CONV,
    CS_OF_ANNOTATOR,
    CS_OF_SAFE,
    CS_OF_CLARITY,
    CS_OF_ACCURACY,
    CS_OF_TONE,
    CS_OF_LABELS,
    CS_OF_CREATED_AT,
    CS_OF_ANNOTATED_AT,
    CS_OF_NCOLS
};
enum {
    CS_AGG_AGENT = 0,
    CS_AGG_TIME,
    CS_AGG_TOTAL_QUERIES,
    CS_AGG_AVG_LATENCY,
    CS_AGG_P95_LATENCY,
    CS_AGG_APPROVAL_RATE,
    CS_AGG_EDIT_RATE,
    CS_AGG_ERROR_RATE,
    CS_AGG_TOTAL_APPROVALS,
    CS_AGG_TOTAL_FEEDBACK,
    CS_AGG_UNSAFE_COUNT,
    CS_AGG_SLA_COMPLIANCE,
    CS_AGG_NCOLS
};

#endif
