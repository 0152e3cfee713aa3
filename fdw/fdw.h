/*
 * colstore_fdw's internal declarations: the pieces of the foreign data wrapper shared by its
 * files (options, the cached store handles, error mapping, planning and execution).
 *
 * Memory: PostgreSQL memory (palloc) for everything PostgreSQL sees; the engine's objects
 * (store, snapshot, scan) are malloc'ed by the engine and always released through a memory
 * context callback of the context they belong to, so an error or a cancel anywhere frees
 * them with the query (fdw_store.c, fdw_scan.c).
 */
#ifndef CS_FDW_H
#define CS_FDW_H

#include "postgres.h"

#include "access/attnum.h"
#include "nodes/pg_list.h"
#include "nodes/primnodes.h"

#include "engine/colstore.h"

/* Options (fdw_options.c). */
struct cs_fdw_options {
    Oid serverid;
    char *store; /* server option `store`: the store directory */
    char *table; /* table option `table`: the engine's table name (default: the relation's) */
};

/* cs_fdw_options_of() - the options of foreign table relid, with its server's. */
void cs_fdw_options_of(Oid relid, struct cs_fdw_options *out);
/* cs_fdw_server_store() - the `store` option of a server (errors when it has none). */
char *cs_fdw_server_store(Oid serverid);
/* cs_fdw_column_name() - the engine's name of column attnum (option column_name, or attname). */
char *cs_fdw_column_name(Oid relid, AttrNumber attnum, const char *attname);

/* A store handle of this backend, shared by the queries that use its server (fdw_store.c). */
struct cs_fdw_store;
/* cs_fdw_store_acquire() - the handle on the store of server serverid, opened on first use
 * and reused while the server's `store` option stays the same; released when the memory
 * context `owner` goes away (end of query, error or cancel). */
colstore_store *cs_fdw_store_acquire(Oid serverid, MemoryContext owner);

/* cs_fdw_query_snapshot() - the snapshot every scan of server serverid in the query whose
 * memory is query_cxt reads: opened by the first scan (the newest version; in a parallel
 * worker, its leader's), closed with query_cxt. */
colstore_snapshot *cs_fdw_query_snapshot(MemoryContext query_cxt, Oid serverid);
/* cs_fdw_define_settings() - the module's settings (_PG_init). */
void cs_fdw_define_settings(void);

/* cs_fdw_raise() - report an engine error as a PostgreSQL ERROR with the engine's message and
 * the SQLSTATE of its code (fdw_error.c); `what` says what was being done. */
pg_attribute_noreturn() void cs_fdw_raise(const colstore_error *err, const char *what);
/* cs_fdw_sqlstate() - the SQLSTATE of an engine code. */
int cs_fdw_sqlstate(int code);

/* The SQL-callable functions (colstore_fdw--0.1.sql). PostgreSQL 15's PG_FUNCTION_INFO_V1
 * does not mark them exported, and the module is built with hidden visibility. */
#include "fmgr.h"
extern PGDLLEXPORT Datum colstore_fdw_handler(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum colstore_fdw_validator(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum colstore_fdw_malloc_in_use(PG_FUNCTION_ARGS);

/* ---- The columns of a foreign table (fdw_catalog.c) ---- */

/* What a stored value is, for conversions and pushdown. */
enum cs_fdw_kind {
    CS_FDW_V_INT = 1,     /* integer, bigint */
    CS_FDW_V_NUMERIC,     /* numeric(p, s): int64 scaled by 10^s */
    CS_FDW_V_DATE,        /* days since 1970-01-01 */
    CS_FDW_V_TIMESTAMPTZ, /* microseconds since 1970-01-01 UTC */
    CS_FDW_V_BOOL,
    CS_FDW_V_TEXT,
    CS_FDW_V_HASH, /* query_hash: 32 hex digits, as text */
    CS_FDW_V_JSONB,
    CS_FDW_V_TEXT_ARRAY,
};

struct cs_fdw_col {
    AttrNumber attno; /* in the foreign table */
    int ecol;         /* the engine's column index; -1: a dropped attribute */
    int kind;         /* enum cs_fdw_kind: what the store holds */
    int etype;        /* the engine's enum colstore_type */
    int scale;        /* CS_FDW_V_NUMERIC */
    Oid pgtype;       /* the foreign table's declared type */
    int32 typmod;
    bool as_text; /* jsonb or text[] declared as text: handed over as text */
};

/* A foreign table as the planner and the executor see it. */
struct cs_fdw_rel {
    Index relid; /* range table index while planning; the scan's relation when executing */
    int natts;
    struct cs_fdw_col *cols; /* natts, by attno - 1 */
    AttrNumber time_attno;   /* time_key, 0 when the table has none */
};

/* A foreign table's engine table and columns (fdw_catalog.c). */
struct cs_fdw_table {
    struct cs_fdw_options opts;
    char *name; /* the engine's table name */
    bool partitioned;
    struct cs_fdw_rel rel;
};

/* cs_fdw_table_load() - the foreign table relid (range table index rtindex) mapped onto its
 * engine table; errors when the table or a column is not in the store, or a column's declared
 * type cannot hold the stored values. */
void cs_fdw_table_load(Oid relid, Index rtindex, struct cs_fdw_table *out);

/* Rows and partitions of a table in the newest snapshot, and of those with time_key in
 * [lo, hi] (every one for a dimension). */
struct cs_fdw_rows {
    double total, in_range;
    int64 parts, parts_in_range;
};
void cs_fdw_table_rows(const struct cs_fdw_table *t, int64 lo, int64 hi, struct cs_fdw_rows *out);

/* ---- Conditions pushed to the engine (fdw_quals.c) ---- */

enum cs_fdw_qkind {
    CS_FDW_Q_CONST = 1,
    CS_FDW_Q_CMP,
    CS_FDW_Q_IN,
    CS_FDW_Q_IS_NULL,
    CS_FDW_Q_BOOL,
    CS_FDW_Q_AND,
    CS_FDW_Q_OR,
    CS_FDW_Q_NOT,
};
enum cs_fdw_cmp { CS_FDW_EQ = 0, CS_FDW_NE, CS_FDW_LT, CS_FDW_LE, CS_FDW_GT, CS_FDW_GE };
enum cs_fdw_truth { CS_FDW_FALSE = 0, CS_FDW_UNKNOWN = 1, CS_FDW_TRUE = 2 };

/* A condition the engine can evaluate, as analysed from an expression. */
struct cs_fdw_qnode {
    int kind;                      /* enum cs_fdw_qkind */
    int cmp;                       /* CMP: enum cs_fdw_cmp (column <cmp> value) */
    int truth;                     /* CONST: enum cs_fdw_truth */
    const struct cs_fdw_col *col;  /* CMP, IN, IS_NULL, BOOL */
    Expr *value;                   /* CMP: the constant side; IN: the array */
    struct ExprState *value_state; /* executor: value's state when it is not a Const */
    List *args;                    /* AND, OR, NOT: cs_fdw_qnode pointers */
};

/* cs_fdw_qual_analyze() - the engine's version of clause, or NULL when it cannot be pushed. */
struct cs_fdw_qnode *cs_fdw_qual_analyze(Expr *clause, const struct cs_fdw_rel *rel);
/* cs_fdw_qual_time_bounds() - narrow [*lo, *hi] by the constant comparisons of time_key in q
 * (top-level ANDs only). */
void cs_fdw_qual_time_bounds(const struct cs_fdw_qnode *q,
                             AttrNumber time_attno,
                             int64 *lo,
                             int64 *hi);
/* cs_fdw_value_i64() - value d (of type `type`) compared with column c as `c <*cmp> d`, into
 * the column's stored unit: sets *k, and may change *cmp so that the comparison on stored
 * integers is exactly the original one (see fdw_quals.c). */
void cs_fdw_value_i64(const struct cs_fdw_col *c, Datum d, Oid type, int *cmp, int64 *k);

/* ---- Values (fdw_datum.c) ---- */

struct cs_fdw_conv {
    FmgrInfo json_in, array_in;
};
void cs_fdw_conv_init(struct cs_fdw_conv *conv);
/* cs_fdw_value_datum() - a stored value of column c as a datum of c's declared type: v for
 * integer-like kinds, b for booleans, s[0..len) for text-like ones. */
Datum cs_fdw_value_datum(struct cs_fdw_conv *conv,
                         const struct cs_fdw_col *c,
                         int64 v,
                         bool b,
                         const char *s,
                         size_t len);
/* cs_fdw_timestamptz_datum() - µs since 1970 UTC as a timestamptz. */
Datum cs_fdw_timestamptz_datum(int64 us);

/* ---- Predicates for the engine (fdw_scan.c) ---- */

struct cs_fdw_pred_builder {
    struct ExprContext *econtext; /* evaluates the values that are not constants */
};
/* cs_fdw_build_pred() - q as the engine's predicate, its values evaluated now (palloc'ed in
 * the current memory context; read by colstore_scan_open / colstore_query, not kept). */
void cs_fdw_build_pred(struct cs_fdw_pred_builder *b,
                       const struct cs_fdw_qnode *q,
                       colstore_pred *out);
/* cs_fdw_init_value_states() - ExecInitExpr of the values of qnodes that are not constants. */
struct PlanState;
void cs_fdw_init_value_states(List *qnodes, struct PlanState *ps);

/* ---- What the planner knows of a relation (RelOptInfo.fdw_private) ---- */

enum cs_fdw_relkind {
    CS_FDW_REL_BASE = 1, /* a foreign table */
    CS_FDW_REL_JOIN,     /* a fact table joined with dimensions (a star), only as the input of
                          * a grouping: no join path of its own */
    CS_FDW_REL_GROUPED,  /* a star grouped and aggregated */
};

#define CS_FDW_MAX_JOINS 8

struct cs_fdw_relinfo;

struct cs_fdw_joininfo {
    struct cs_fdw_relinfo *dim; /* the dimension's base info */
    AttrNumber fact_attno;      /* fact.fact_attno = dim.dim_attno */
    AttrNumber dim_attno;
    bool left; /* LEFT JOIN */
};

struct cs_fdw_relinfo {
    int kind;      /* enum cs_fdw_relkind */
    bool pushable; /* every condition of every member is evaluated by the engine */
    /* CS_FDW_REL_BASE */
    struct cs_fdw_table table;
    List *pushed; /* RestrictInfo evaluated by the engine */
    List *local;  /* RestrictInfo PostgreSQL evaluates on the returned rows */
    double scanned_rows;
    int64 parts_kept, parts_total;
    /* why a grouping over this table stayed PostgreSQL's (strings; EXPLAIN VERBOSE shows them
     * as "Not Pushed" on the table's scan): noted by fdw_push.c before the plan is made */
    List *not_pushed;
    /* CS_FDW_REL_JOIN and GROUPED: the fact and its joins */
    struct cs_fdw_relinfo *fact;
    int njoins;
    struct cs_fdw_joininfo joins[CS_FDW_MAX_JOINS];
    /* CS_FDW_REL_GROUPED: the plan (fdw_push.c) */
    List *scan_tlist; /* TargetEntry: the group keys, then the aggregates */
    List *having;     /* HAVING conditions PostgreSQL checks on the grouped rows */
    List *spec;       /* the engine query, as fdw_private carries it */
};

/* cs_fdw_push_plan() - the ForeignScan of a pushed-down join or grouping (fdw_push.c). */
struct PlannerInfo;
struct RelOptInfo;
struct ForeignPath;
struct Plan;
struct ForeignScan *cs_fdw_push_plan(struct PlannerInfo *root,
                                     struct RelOptInfo *rel,
                                     struct ForeignPath *path,
                                     List *tlist,
                                     struct Plan *outer_plan);
/* The executor of a pushed-down star query (fdw_pushexec.c): a ForeignScan without scanrelid. */
struct ForeignScanState;
struct TupleTableSlot;
struct ExplainState;
void cs_fdw_push_begin(struct ForeignScanState *node, int eflags);
struct TupleTableSlot *cs_fdw_push_iterate(struct ForeignScanState *node);
void cs_fdw_push_rescan(struct ForeignScanState *node);
void cs_fdw_push_end(struct ForeignScanState *node);
void cs_fdw_push_explain(struct ForeignScanState *node, struct ExplainState *es);
/* cs_fdw_pushdown: the setting colstore_fdw.pushdown (joins and aggregates in the engine). */
extern bool cs_fdw_pushdown;
/* cs_fdw_kernels: the setting colstore_fdw.kernels (a pushed query of a report's shape runs
 * through the report's kernel; off: the engine's general executor, for comparisons). */
extern bool cs_fdw_kernels;

/* Callbacks defined in the other files, gathered by the handler (fdw_main.c). */
struct FdwRoutine;
void cs_fdw_modify_routines(struct FdwRoutine *r);
void cs_fdw_plan_routines(struct FdwRoutine *r);
void cs_fdw_scan_routines(struct FdwRoutine *r);
void cs_fdw_import_routines(struct FdwRoutine *r);
void cs_fdw_push_routines(struct FdwRoutine *r);

#endif
