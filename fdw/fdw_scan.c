/*
 * Executing a scan of a colstore foreign table: the engine's table scan (colstore_scan_*) on
 * the query's snapshot, with the pushed conditions as its predicate, returns the passing rows
 * of one partition at a time; each becomes a virtual tuple holding only the attributes the
 * query uses (the others are NULL), its values converted in the per-tuple memory.
 *
 * The engine's objects live outside PostgreSQL's memory: the scan is closed by
 * EndForeignScan, or — after an error or a cancel, when EndForeignScan never runs — by a
 * callback of the query's memory context. The snapshot belongs to the query (fdw_store.c).
 */
#include "fdw/fdw.h"

#include "catalog/pg_type.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/timestamp.h"

#define CS_FDW_EPOCH_DAYS 10957
#define CS_FDW_EPOCH_US   INT64CONST(946684800000000)

/* The engine scan, closed on every path (see the file comment). */
struct engine_scan {
    MemoryContextCallback cb;
    colstore_scan *scan;
};

struct scan_state {
    struct cs_fdw_table table;
    int nproj;
    AttrNumber *proj_attno;         /* attributes filled, in projection order */
    const struct cs_fdw_col **proj; /* their columns */
    size_t *proj_ecol;              /* their engine column indexes */
    List *quals;                    /* pushed conditions (the plan's fdw_exprs) */
    List *qnodes;                   /* their analysis, parallel to quals */
    List *value_states;             /* ExprState of each non-Const value, by qnode */
    colstore_snapshot *snap;
    struct engine_scan *es;
    const colstore_batch *batch;
    size_t row, rows;
    colstore_column_data *data; /* nproj: the batch's columns */
    colstore_scan_stats stats;  /* of the scans already closed (rescans) */
    int plan_parts_kept, plan_parts_total;
    FmgrInfo json_in, array_in;
    Oid array_ioparam;
};

static void close_engine_scan(void *arg)
{
    struct engine_scan *es = arg;
    colstore_scan_close(es->scan);
    es->scan = NULL;
}

/* ---- the engine's predicate ---- */

struct pred_builder {
    ExprContext *econtext;
};

/* The constant side of a condition, evaluated once per scan. */
static Datum eval_value(const struct cs_fdw_qnode *q, ExprContext *econtext, bool *isnull)
{
    if (IsA(q->value, Const)) {
        *isnull = ((Const *)q->value)->constisnull;
        return ((Const *)q->value)->constvalue;
    }
    return ExecEvalExpr(q->value_state, econtext, isnull);
}

/* A value of column c for the engine: in the column's stored unit (see cs_fdw_value_i64). */
static colstore_value engine_value(const struct cs_fdw_col *c, Datum d, Oid type, int *cmp)
{
    colstore_value v = {0};
    if (c->kind == CS_FDW_V_TEXT) {
        text *t = DatumGetTextPP(d);
        v.type = COLSTORE_TYPE_TEXT;
        v.s = VARDATA_ANY(t);
        v.len = VARSIZE_ANY_EXHDR(t);
        return v;
    }
    int64 k = 0;
    cs_fdw_value_i64(c, d, type, cmp, &k);
    v.i = k;
    switch (c->kind) {
    case CS_FDW_V_NUMERIC:
        v.type = COLSTORE_TYPE_NUMERIC;
        v.scale = c->scale;
        break;
    case CS_FDW_V_DATE:
        v.type = COLSTORE_TYPE_DATE;
        break;
    case CS_FDW_V_TIMESTAMPTZ:
        v.type = COLSTORE_TYPE_TIMESTAMP;
        break;
    case CS_FDW_V_BOOL:
        v.type = COLSTORE_TYPE_BOOL;
        break;
    default:
        v.type = COLSTORE_TYPE_BIGINT;
        break;
    }
    return v;
}

static const int op_of_cmp[] = {COLSTORE_OP_EQ, COLSTORE_OP_NE, COLSTORE_OP_LT,
                                COLSTORE_OP_LE, COLSTORE_OP_GT, COLSTORE_OP_GE};

static void build_pred(struct pred_builder *b, const struct cs_fdw_qnode *q, colstore_pred *out);

static void build_in(struct pred_builder *b, const struct cs_fdw_qnode *q, colstore_pred *out)
{
    bool isnull;
    Datum d = eval_value(q, b->econtext, &isnull);
    if (isnull) { /* col = ANY (NULL) is unknown for every row */
        out->op = COLSTORE_OP_IN;
        out->column = (size_t)q->col->ecol;
        colstore_value *nv = palloc0(sizeof(*nv));
        nv->type = COLSTORE_TYPE_NULL;
        out->values = nv;
        out->nvalues = 1;
        return;
    }
    ArrayType *arr = DatumGetArrayTypeP(d);
    Oid elem = ARR_ELEMTYPE(arr);
    int16 elmlen;
    bool elmbyval;
    char elmalign;
    get_typlenbyvalalign(elem, &elmlen, &elmbyval, &elmalign);
    Datum *elems;
    bool *nulls;
    int n;
    deconstruct_array(arr, elem, elmlen, elmbyval, elmalign, &elems, &nulls, &n);
    colstore_value *vals = palloc0(sizeof(*vals) * Max(n, 1));
    size_t nv = 0;
    for (int i = 0; i < n; i++) {
        if (nulls[i]) {
            vals[nv++].type = COLSTORE_TYPE_NULL;
            continue;
        }
        int cmp = CS_FDW_EQ;
        colstore_value v = engine_value(q->col, elems[i], elem, &cmp);
        if (cmp == CS_FDW_EQ) vals[nv++] = v; /* else no stored value equals it */
    }
    if (nv == 0) { /* x IN () is false, whatever x */
        out->op = COLSTORE_OP_FALSE;
        return;
    }
    out->op = COLSTORE_OP_IN;
    out->column = (size_t)q->col->ecol;
    out->values = vals;
    out->nvalues = nv;
}

static void build_logic(struct pred_builder *b, const struct cs_fdw_qnode *q, colstore_pred *out)
{
    out->op = q->kind == CS_FDW_Q_AND  ? COLSTORE_OP_AND
              : q->kind == CS_FDW_Q_OR ? COLSTORE_OP_OR
                                       : COLSTORE_OP_NOT;
    colstore_pred *args = palloc0(sizeof(*args) * list_length(q->args));
    int i = 0;
    ListCell *lc;
    foreach (lc, q->args)
        build_pred(b, lfirst(lc), &args[i++]);
    out->args = args;
    out->nargs = (size_t)i;
}

static void build_pred(struct pred_builder *b, const struct cs_fdw_qnode *q, colstore_pred *out)
{
    memset(out, 0, sizeof(*out));
    switch (q->kind) {
    case CS_FDW_Q_CONST:
        if (q->truth == CS_FDW_UNKNOWN) { /* NULL::boolean: unknown, like a comparison with NULL */
            out->op = COLSTORE_OP_EQ;
            out->value.type = COLSTORE_TYPE_NULL;
            return;
        }
        out->op = q->truth == CS_FDW_TRUE ? COLSTORE_OP_TRUE : COLSTORE_OP_FALSE;
        return;
    case CS_FDW_Q_CMP: {
        bool isnull;
        Datum d = eval_value(q, b->econtext, &isnull);
        out->column = (size_t)q->col->ecol;
        if (isnull) { /* col <op> NULL is unknown for every row */
            out->op = COLSTORE_OP_EQ;
            out->value.type = COLSTORE_TYPE_NULL;
            return;
        }
        int cmp = q->cmp;
        out->value = engine_value(q->col, d, exprType((Node *)q->value), &cmp);
        out->op = op_of_cmp[cmp];
        return;
    }
    case CS_FDW_Q_IN:
        build_in(b, q, out);
        return;
    case CS_FDW_Q_IS_NULL:
        out->op = COLSTORE_OP_IS_NULL;
        out->column = (size_t)q->col->ecol;
        return;
    case CS_FDW_Q_BOOL:
        out->op = COLSTORE_OP_BOOL;
        out->column = (size_t)q->col->ecol;
        return;
    default:
        build_logic(b, q, out);
        return;
    }
}

/* ---- begin, iterate, rescan, end ---- */

static void init_value_states(List *qnodes, PlanState *ps)
{
    ListCell *lc;
    foreach (lc, qnodes) {
        struct cs_fdw_qnode *q = lfirst(lc);
        if ((q->kind == CS_FDW_Q_CMP || q->kind == CS_FDW_Q_IN) && !IsA(q->value, Const))
            q->value_state = ExecInitExpr(q->value, ps);
        if (q->args != NIL) init_value_states(q->args, ps);
    }
}

static void init_projection(struct scan_state *ss, List *attnos)
{
    ss->nproj = list_length(attnos);
    ss->proj_attno = palloc0(sizeof(AttrNumber) * (ss->nproj + 1));
    ss->proj = palloc0(sizeof(*ss->proj) * (ss->nproj + 1));
    ss->proj_ecol = palloc0(sizeof(size_t) * (ss->nproj + 1));
    ss->data = palloc0(sizeof(colstore_column_data) * (ss->nproj + 1));
    int j = 0;
    ListCell *lc;
    foreach (lc, attnos) {
        AttrNumber a = (AttrNumber)lfirst_int(lc);
        const struct cs_fdw_col *c = &ss->table.rel.cols[a - 1];
        if (c->ecol < 0) continue;
        ss->proj_attno[j] = a;
        ss->proj[j] = c;
        ss->proj_ecol[j] = (size_t)c->ecol;
        j++;
    }
    ss->nproj = j;
}

static void open_engine_scan(ForeignScanState *node, struct scan_state *ss)
{
    EState *estate = node->ss.ps.state;
    MemoryContext tmp =
        AllocSetContextCreate(estate->es_query_cxt, "colstore predicate", ALLOCSET_SMALL_SIZES);
    MemoryContext old = MemoryContextSwitchTo(tmp);
    colstore_pred *where = NULL;
    int n = list_length(ss->qnodes);
    if (n > 0) {
        struct pred_builder b = {node->ss.ps.ps_ExprContext};
        colstore_pred *args = palloc0(sizeof(*args) * n);
        int i = 0;
        ListCell *lc;
        foreach (lc, ss->qnodes)
            build_pred(&b, lfirst(lc), &args[i++]);
        where = palloc0(sizeof(*where));
        where->op = COLSTORE_OP_AND;
        where->args = args;
        where->nargs = (size_t)n;
    }
    colstore_scan_options opts = COLSTORE_SCAN_OPTIONS_INIT;
    opts.columns = ss->proj_ecol;
    opts.ncolumns = (size_t)ss->nproj;
    opts.where = where;
    colstore_error err;
    int rc = colstore_scan_open(ss->snap, ss->table.name, &opts, &ss->es->scan, &err);
    MemoryContextSwitchTo(old);
    MemoryContextDelete(tmp);
    if (rc != COLSTORE_OK) cs_fdw_raise(&err, "starting a scan of the store");
    ss->batch = NULL;
    ss->row = ss->rows = 0;
}

static void begin_scan(ForeignScanState *node, int eflags)
{
    ForeignScan *plan = (ForeignScan *)node->ss.ps.plan;
    EState *estate = node->ss.ps.state;
    struct scan_state *ss = palloc0(sizeof(*ss));
    node->fdw_state = ss;
    Relation rel = node->ss.ss_currentRelation;
    cs_fdw_table_load(RelationGetRelid(rel), plan->scan.scanrelid, &ss->table);
    init_projection(ss, lsecond(plan->fdw_private));
    List *parts = lthird(plan->fdw_private);
    ss->plan_parts_kept = intVal(linitial(parts));
    ss->plan_parts_total = intVal(lsecond(parts));
    ss->quals = plan->fdw_exprs;
    ListCell *lc;
    foreach (lc, ss->quals) {
        struct cs_fdw_qnode *q = cs_fdw_qual_analyze(lfirst(lc), &ss->table.rel);
        if (q == NULL) elog(ERROR, "colstore_fdw: a pushed condition is no longer pushable");
        ss->qnodes = lappend(ss->qnodes, q);
    }
    init_value_states(ss->qnodes, &node->ss.ps);
    ss->stats = (colstore_scan_stats)COLSTORE_SCAN_STATS_INIT;
    fmgr_info(F_JSONB_IN, &ss->json_in);
    fmgr_info(F_ARRAY_IN, &ss->array_in);
    if (eflags & EXEC_FLAG_EXPLAIN_ONLY) return;

    ss->es = MemoryContextAllocZero(estate->es_query_cxt, sizeof(*ss->es));
    ss->es->cb.func = close_engine_scan;
    ss->es->cb.arg = ss->es;
    MemoryContextRegisterResetCallback(estate->es_query_cxt, &ss->es->cb);
    ss->snap = cs_fdw_query_snapshot(estate->es_query_cxt, ss->table.opts.serverid, false, 0);
    open_engine_scan(node, ss);
}

static bool next_batch(struct scan_state *ss)
{
    colstore_error err;
    for (;;) {
        CHECK_FOR_INTERRUPTS();
        if (colstore_scan_next(ss->es->scan, &ss->batch, &err) != COLSTORE_OK)
            cs_fdw_raise(&err, "reading the store");
        if (ss->batch == NULL) return false;
        ss->rows = colstore_batch_rows(ss->batch);
        ss->row = 0;
        if (ss->rows == 0) continue;
        for (int j = 0; j < ss->nproj; j++) {
            ss->data[j] = (colstore_column_data)COLSTORE_COLUMN_DATA_INIT;
            if (colstore_batch_column(ss->batch, (size_t)j, &ss->data[j], &err) != COLSTORE_OK)
                cs_fdw_raise(&err, "reading the store");
        }
        return true;
    }
}

static Datum text_value(const colstore_column_data *d, size_t r)
{
    return PointerGetDatum(cstring_to_text_with_len(d->data + d->offsets[r],
                                                    (int)(d->offsets[r + 1] - d->offsets[r])));
}

static Datum input_value(FmgrInfo *in, Oid ioparam, const colstore_column_data *d, size_t r)
{
    char *s = pnstrdup(d->data + d->offsets[r], (Size)(d->offsets[r + 1] - d->offsets[r]));
    return InputFunctionCall(in, s, ioparam, -1);
}

static Datum
to_datum(struct scan_state *ss, const struct cs_fdw_col *c, const colstore_column_data *d, size_t r)
{
    switch (c->kind) {
    case CS_FDW_V_INT:
        return c->pgtype == INT2OID   ? Int16GetDatum((int16)d->values[r])
               : c->pgtype == INT4OID ? Int32GetDatum((int32)d->values[r])
                                      : Int64GetDatum(d->values[r]);
    case CS_FDW_V_NUMERIC:
        return NumericGetDatum(int64_div_fast_to_numeric(d->values[r], c->scale));
    case CS_FDW_V_DATE:
        return DateADTGetDatum((DateADT)(d->values[r] - CS_FDW_EPOCH_DAYS));
    case CS_FDW_V_TIMESTAMPTZ:
        return TimestampTzGetDatum(d->values[r] - CS_FDW_EPOCH_US);
    case CS_FDW_V_BOOL:
        return BoolGetDatum(d->bools[r] != 0);
    case CS_FDW_V_JSONB:
        if (c->as_text) return text_value(d, r);
        if (c->pgtype == JSONOID) return text_value(d, r); /* json's storage is its text */
        return input_value(&ss->json_in, InvalidOid, d, r);
    case CS_FDW_V_TEXT_ARRAY:
        if (c->as_text) return text_value(d, r);
        return input_value(&ss->array_in, TEXTOID, d, r);
    default:
        return text_value(d, r);
    }
}

static TupleTableSlot *iterate(ForeignScanState *node)
{
    struct scan_state *ss = node->fdw_state;
    TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
    ExecClearTuple(slot);
    if (ss->row >= ss->rows && !next_batch(ss)) return slot;
    const size_t r = ss->row++;
    memset(slot->tts_isnull, true, sizeof(bool) * slot->tts_tupleDescriptor->natts);
    for (int j = 0; j < ss->nproj; j++) {
        const colstore_column_data *d = &ss->data[j];
        const int a = ss->proj_attno[j] - 1;
        if (d->nulls != NULL && d->nulls[r]) continue;
        slot->tts_values[a] = to_datum(ss, ss->proj[j], d, r);
        slot->tts_isnull[a] = false;
    }
    return ExecStoreVirtualTuple(slot);
}

static void add_stats(colstore_scan_stats *sum, const colstore_scan *scan)
{
    colstore_scan_stats s = COLSTORE_SCAN_STATS_INIT;
    if (scan == NULL || colstore_scan_get_stats(scan, &s, NULL) != COLSTORE_OK) return;
    sum->partitions_total = s.partitions_total;
    sum->partitions_pruned_time += s.partitions_pruned_time;
    sum->partitions_pruned_zone += s.partitions_pruned_zone;
    sum->partitions_scanned += s.partitions_scanned;
    sum->rows_scanned += s.rows_scanned;
    sum->rows_returned += s.rows_returned;
    sum->predicates = s.predicates;
}

static void rescan(ForeignScanState *node)
{
    struct scan_state *ss = node->fdw_state;
    add_stats(&ss->stats, ss->es->scan);
    colstore_scan_close(ss->es->scan);
    ss->es->scan = NULL;
    open_engine_scan(node, ss);
}

static void end_scan(ForeignScanState *node)
{
    struct scan_state *ss = node->fdw_state;
    if (ss == NULL || ss->es == NULL) return;
    add_stats(&ss->stats, ss->es->scan);
    colstore_scan_close(ss->es->scan);
    ss->es->scan = NULL;
}

/* ---- EXPLAIN ---- */

static void explain_partitions(const struct scan_state *ss, ExplainState *es)
{
    colstore_scan_stats s = ss->stats;
    if (ss->es != NULL) add_stats(&s, ss->es->scan);
    if (es->format == EXPLAIN_FORMAT_TEXT) {
        char buf[256];
        snprintf(buf, sizeof(buf), "%llu of %llu read (%llu pruned by time_key, %llu by zone maps)",
                 (unsigned long long)s.partitions_scanned, (unsigned long long)s.partitions_total,
                 (unsigned long long)s.partitions_pruned_time,
                 (unsigned long long)s.partitions_pruned_zone);
        ExplainPropertyText("Partitions", buf, es);
    } else {
        ExplainPropertyInteger("Partitions Read", NULL, (int64)s.partitions_scanned, es);
        ExplainPropertyInteger("Partitions", NULL, (int64)s.partitions_total, es);
        ExplainPropertyInteger("Partitions Pruned by time_key", NULL,
                               (int64)s.partitions_pruned_time, es);
        ExplainPropertyInteger("Partitions Pruned by Zone Maps", NULL,
                               (int64)s.partitions_pruned_zone, es);
    }
    ExplainPropertyInteger("Rows Scanned", NULL, (int64)s.rows_scanned, es);
    ExplainPropertyInteger("Rows Removed by Engine Filter", NULL,
                           (int64)(s.rows_scanned - s.rows_returned), es);
}

static void explain(ForeignScanState *node, ExplainState *es)
{
    const struct scan_state *ss = node->fdw_state;
    if (es->verbose) ExplainPropertyText("Store Table", ss->table.name, es);
    if (ss->quals != NIL) {
        List *ctx = set_deparse_context_plan(es->deparse_cxt, node->ss.ps.plan, NIL);
        char *text = deparse_expression((Node *)make_ands_explicit(ss->quals), ctx,
                                        list_length(es->rtable) > 1, false);
        ExplainPropertyText("Engine Filter", text, es);
    }
    if (es->analyze && ss->es != NULL) {
        explain_partitions(ss, es);
    } else if (ss->table.partitioned) {
        char buf[128];
        snprintf(buf, sizeof(buf), "%d of %d in the time_key range (planned)", ss->plan_parts_kept,
                 ss->plan_parts_total);
        ExplainPropertyText("Partitions", buf, es);
    }
}

void cs_fdw_scan_routines(FdwRoutine *r)
{
    r->BeginForeignScan = begin_scan;
    r->IterateForeignScan = iterate;
    r->ReScanForeignScan = rescan;
    r->EndForeignScan = end_scan;
    r->ExplainForeignScan = explain;
}
