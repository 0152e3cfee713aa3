/*
 * Executing a pushed-down star query (fdw_push.c): the plan's spec becomes a
 * colstore_query_spec — each member's conditions built into the engine's predicates with their
 * values evaluated now, the joins, group keys and aggregates — run once on the query's
 * snapshot by the engine (both cores, cancellable between partitions); its grouped rows become
 * the scan's tuples, each aggregate finished as PostgreSQL finishes it (avg = numeric_div of the
 * exact sum and count; sums of integers as bigint or numeric; percentile_cont as float8).
 */
#include "fdw/fdw.h"

#include "catalog/pg_type.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteManip.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/ruleutils.h"

enum out_how { OUT_KEY = 1, OUT_INT8, OUT_NUMERIC, OUT_AVG, OUT_VALUE, OUT_BOOL, OUT_FLOAT8 };

struct push_member {
    struct cs_fdw_table table;
    List *quals;  /* expressions over its Vars */
    List *qnodes; /* their analysis */
};

/* The engine's result, freed on every path (end, rescan, error, cancel). */
struct push_result {
    MemoryContextCallback cb;
    colstore_result *res;
};

struct push_state {
    int nmembers;
    struct push_member m[CS_FDW_MAX_JOINS + 1];
    List *joins, *keys, *aggs, *outputs;
    List *order;         /* (engine output, desc, nulls first) */
    int64 limit, offset; /* rows the engine keeps (-1: all), rows the scan skips */
    char *describe;
    List *agg_filters; /* per engine aggregate: its FILTER's qnode, or NULL */
    colstore_snapshot *snap;
    struct push_result *pr;
    bool ran;
    size_t row, rows;
    colstore_query_stats stats;
    struct cs_fdw_conv conv;
};

static void free_result(void *arg)
{
    struct push_result *pr = arg;
    colstore_result_free(pr->res);
    pr->res = NULL;
}

static const struct cs_fdw_col *
member_col(const struct push_state *ps, int member, AttrNumber attno)
{
    return &ps->m[member].table.rel.cols[attno - 1];
}

void cs_fdw_push_begin(ForeignScanState *node, int eflags)
{
    ForeignScan *plan = (ForeignScan *)node->ss.ps.plan;
    EState *estate = node->ss.ps.state;
    struct push_state *ps = palloc0(sizeof(*ps));
    node->fdw_state = ps;
    List *spec = plan->fdw_private;
    const Oid serverid = (Oid)intVal(list_nth(spec, 0));
    List *oids = list_nth(spec, 1), *varnos = list_nth(spec, 2), *quals = list_nth(spec, 4);
    ps->joins = list_nth(spec, 3);
    ps->keys = list_nth(spec, 5);
    ps->aggs = list_nth(spec, 6);
    ps->outputs = list_nth(spec, 7);
    ps->describe = strVal(list_nth(spec, 8));
    ps->order = list_length(spec) > 9 ? list_nth(spec, 9) : NIL;
    ps->limit = list_length(spec) > 10 ? strtoi64(strVal(list_nth(spec, 10)), NULL, 10) : -1;
    ps->offset = list_length(spec) > 11 ? strtoi64(strVal(list_nth(spec, 11)), NULL, 10) : 0;
    ps->nmembers = list_length(oids);
    for (int i = 0; i < ps->nmembers; i++) {
        struct push_member *m = &ps->m[i];
        cs_fdw_table_load(list_nth_oid(oids, i), (Index)list_nth_int(varnos, i), &m->table);
        m->quals = list_nth(quals, i);
        ListCell *lc;
        foreach (lc, m->quals) {
            Expr *e = lfirst(lc);
            fix_opfuncids((Node *)e);
            struct cs_fdw_qnode *q = cs_fdw_qual_analyze(e, &m->table.rel);
            if (q == NULL) elog(ERROR, "colstore_fdw: a pushed condition is no longer pushable");
            m->qnodes = lappend(m->qnodes, q);
        }
        cs_fdw_init_value_states(m->qnodes, &node->ss.ps);
    }
    ListCell *lc;
    foreach (lc, ps->aggs) {
        Expr *filter = list_nth(lfirst(lc), 4);
        struct cs_fdw_qnode *q = NULL;
        if (filter != NULL) {
            fix_opfuncids((Node *)filter);
            q = cs_fdw_qual_analyze(filter, &ps->m[0].table.rel);
            if (q == NULL) elog(ERROR, "colstore_fdw: a pushed FILTER is no longer pushable");
            cs_fdw_init_value_states(list_make1(q), &node->ss.ps);
        }
        ps->agg_filters = lappend(ps->agg_filters, q);
    }
    cs_fdw_conv_init(&ps->conv);
    ps->stats = (colstore_query_stats)COLSTORE_QUERY_STATS_INIT;
    if (eflags & EXEC_FLAG_EXPLAIN_ONLY) return;
    ps->pr = MemoryContextAllocZero(estate->es_query_cxt, sizeof(*ps->pr));
    ps->pr->cb.func = free_result;
    ps->pr->cb.arg = ps->pr;
    MemoryContextRegisterResetCallback(estate->es_query_cxt, &ps->pr->cb);
    ps->snap = cs_fdw_query_snapshot(estate->es_query_cxt, serverid);
}

/* The AND of a member's conditions as the engine's predicate (NULL: none). */
static const colstore_pred *member_where(struct cs_fdw_pred_builder *b, const struct push_member *m)
{
    const int n = list_length(m->qnodes);
    if (n == 0) return NULL;
    colstore_pred *args = palloc0(sizeof(*args) * n), *where = palloc0(sizeof(*where));
    int i = 0;
    ListCell *lc;
    foreach (lc, m->qnodes)
        cs_fdw_build_pred(b, lfirst(lc), &args[i++]);
    where->op = COLSTORE_OP_AND;
    where->args = args;
    where->nargs = (size_t)n;
    return where;
}

static void
build_spec(struct push_state *ps, struct cs_fdw_pred_builder *b, colstore_query_spec *qs)
{
    *qs = (colstore_query_spec)COLSTORE_QUERY_SPEC_INIT;
    qs->table = ps->m[0].table.name;
    qs->where = member_where(b, &ps->m[0]);
    colstore_join *joins = palloc0(sizeof(*joins) * (list_length(ps->joins) + 1));
    int j = 0;
    ListCell *lc;
    foreach (lc, ps->joins) {
        List *jn = lfirst(lc);
        joins[j] = (colstore_join){ps->m[j + 1].table.name, (size_t)linitial_int(jn),
                                   (size_t)lsecond_int(jn), lthird_int(jn) != 0,
                                   member_where(b, &ps->m[j + 1])};
        j++;
    }
    qs->joins = joins;
    qs->njoins = (size_t)j;
    colstore_group_key *keys = palloc0(sizeof(*keys) * (list_length(ps->keys) + 1));
    int k = 0;
    foreach (lc, ps->keys) {
        List *key = lfirst(lc);
        keys[k++] = (colstore_group_key){{(size_t)linitial_int(key), (size_t)lsecond_int(key)},
                                         lthird_int(key)};
    }
    qs->group_by = keys;
    qs->ngroup_by = (size_t)k;
    colstore_aggregate *aggs = palloc0(sizeof(*aggs) * (list_length(ps->aggs) + 1));
    int a = 0;
    foreach (lc, ps->aggs) {
        List *ag = lfirst(lc);
        colstore_aggregate *o = &aggs[a];
        o->kind = intVal(linitial(ag));
        o->col = (colstore_colref){(size_t)intVal(lsecond(ag)), (size_t)intVal(lthird(ag))};
        o->fraction = strtod(strVal(lfourth(ag)), NULL);
        const struct cs_fdw_qnode *f = list_nth(ps->agg_filters, a);
        if (f != NULL) {
            colstore_pred *p = palloc0(sizeof(*p));
            cs_fdw_build_pred(b, f, p);
            o->filter = p;
        }
        a++;
    }
    qs->aggregates = aggs;
    qs->naggregates = (size_t)a;
    colstore_order_by *order = palloc0(sizeof(*order) * (list_length(ps->order) + 1));
    int o = 0;
    foreach (lc, ps->order) {
        List *ob = lfirst(lc);
        order[o++] = (colstore_order_by){(size_t)linitial_int(ob), lsecond_int(ob) != 0,
                                         lthird_int(ob) != 0};
    }
    qs->order_by = order;
    qs->norder_by = (size_t)o;
    qs->limit = ps->limit;
    qs->cancel = (const volatile int *)&QueryCancelPending;
    qs->general = !cs_fdw_kernels;
}

static void run_query(ForeignScanState *node, struct push_state *ps)
{
    EState *estate = node->ss.ps.state;
    MemoryContext tmp =
        AllocSetContextCreate(estate->es_query_cxt, "colstore query spec", ALLOCSET_SMALL_SIZES);
    MemoryContext old = MemoryContextSwitchTo(tmp);
    struct cs_fdw_pred_builder b = {node->ss.ps.ps_ExprContext};
    colstore_query_spec qs;
    build_spec(ps, &b, &qs);
    colstore_error err;
    ps->stats = (colstore_query_stats)COLSTORE_QUERY_STATS_INIT;
    const int rc = colstore_query(ps->snap, &qs, &ps->pr->res, &ps->stats, &err);
    MemoryContextSwitchTo(old);
    MemoryContextDelete(tmp);
    if (rc != COLSTORE_OK) {
        CHECK_FOR_INTERRUPTS(); /* a cancel stopped the engine: report it as a cancel */
        cs_fdw_raise(&err, "running a star query in the store");
    }
    ps->ran = true;
    ps->row = (size_t)ps->offset; /* LIMIT ... OFFSET: the engine kept offset + count rows */
    ps->rows = colstore_result_rows(ps->pr->res);
}

static Datum
key_datum(struct push_state *ps, colstore_result *r, size_t row, int k, int member, int fn)
{
    List *key = list_nth(ps->keys, k);
    const struct cs_fdw_col *c = member_col(ps, member, (AttrNumber)lfourth_int(key));
    const size_t col = (size_t)k;
    if (fn >= COLSTORE_FN_TRUNC_YEAR && fn <= COLSTORE_FN_TRUNC_HOUR)
        return cs_fdw_timestamptz_datum(colstore_result_int(r, row, col));
    if (fn == COLSTORE_FN_MONTH_NAME || fn == COLSTORE_FN_DAY_NAME)
        return CStringGetTextDatum(colstore_result_text(r, row, col));
    if (fn != COLSTORE_FN_NONE)
        return NumericGetDatum(int64_to_numeric(colstore_result_int(r, row, col)));
    if (c->kind == CS_FDW_V_TEXT || c->kind == CS_FDW_V_JSONB || c->kind == CS_FDW_V_TEXT_ARRAY) {
        const char *s = colstore_result_text(r, row, col);
        return cs_fdw_value_datum(&ps->conv, c, 0, false, s, strlen(s));
    }
    return cs_fdw_value_datum(&ps->conv, c, colstore_result_int(r, row, col),
                              colstore_result_int(r, row, col) != 0, NULL, 0);
}

/* Output i of the current row; *isnull set. */
static Datum output_datum(struct push_state *ps, List *out, bool *isnull)
{
    colstore_result *r = ps->pr->res;
    const size_t row = ps->row, nkeys = (size_t)list_length(ps->keys);
    const int how = linitial_int(out), a = lsecond_int(out), b = lthird_int(out),
              x = lfourth_int(out);
    const size_t col = how == OUT_KEY ? (size_t)a : nkeys + (size_t)a;
    *isnull = colstore_result_is_null(r, row, col);
    if (*isnull) return (Datum)0;
    switch (how) {
    case OUT_KEY:
        return key_datum(ps, r, row, a, b, x);
    case OUT_INT8:
        return Int64GetDatum(colstore_result_int(r, row, col));
    case OUT_NUMERIC:
        return NumericGetDatum(int64_div_fast_to_numeric(colstore_result_int(r, row, col), x));
    case OUT_AVG: {
        const int64 n = colstore_result_int(r, row, nkeys + (size_t)b);
        if (n == 0) {
            *isnull = true;
            return (Datum)0;
        }
        Numeric sum = int64_div_fast_to_numeric(colstore_result_int(r, row, col), x);
        return DirectFunctionCall2(numeric_div, NumericGetDatum(sum),
                                   NumericGetDatum(int64_to_numeric(n)));
    }
    case OUT_VALUE: {
        const struct cs_fdw_col *c = member_col(ps, b, (AttrNumber)x);
        if (c->kind == CS_FDW_V_TEXT) {
            const char *s = colstore_result_text(r, row, col);
            return cs_fdw_value_datum(&ps->conv, c, 0, false, s, strlen(s));
        }
        return cs_fdw_value_datum(&ps->conv, c, colstore_result_int(r, row, col), false, NULL, 0);
    }
    case OUT_BOOL:
        return BoolGetDatum(colstore_result_int(r, row, col) != 0);
    default:
        return Float8GetDatum(colstore_result_double(r, row, col));
    }
}

TupleTableSlot *cs_fdw_push_iterate(ForeignScanState *node)
{
    struct push_state *ps = node->fdw_state;
    TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
    ExecClearTuple(slot);
    if (!ps->ran) run_query(node, ps);
    if (ps->row >= ps->rows) return slot;
    int i = 0;
    ListCell *lc;
    foreach (lc, ps->outputs) {
        slot->tts_values[i] = output_datum(ps, lfirst(lc), &slot->tts_isnull[i]);
        i++;
    }
    ps->row++;
    return ExecStoreVirtualTuple(slot);
}

void cs_fdw_push_rescan(ForeignScanState *node)
{
    struct push_state *ps = node->fdw_state;
    if (ps->pr != NULL) free_result(ps->pr);
    ps->ran = false;
}

void cs_fdw_push_end(ForeignScanState *node)
{
    struct push_state *ps = node->fdw_state;
    if (ps != NULL && ps->pr != NULL) free_result(ps->pr);
}

/* How far setrefs moved the plan's range-table indexes: a grouping inside a subquery, a CTE
 * or a UNION sits at an offset in the flattened range table. The members' conditions in
 * fdw_private keep the planner's indexes (the executor maps them to the members by those), so
 * EXPLAIN shifts a copy by this offset before deparsing them. fs_relids (the query level's
 * base relations: the members) was moved by setrefs. */
static int rt_offset(const ForeignScan *plan)
{
    List *varnos = list_nth(plan->fdw_private, 2);
    int planned = INT_MAX;
    ListCell *lc;
    foreach (lc, varnos)
        planned = Min(planned, lfirst_int(lc));
    const int now = bms_next_member(plan->fs_relids, -1);
    return planned == INT_MAX || now < 0 ? 0 : now - planned;
}

void cs_fdw_push_explain(ForeignScanState *node, ExplainState *es)
{
    const struct push_state *ps = node->fdw_state;
    ForeignScan *plan = (ForeignScan *)node->ss.ps.plan;
    ExplainPropertyText("Relations", ps->describe, es);
    List *ctx = set_deparse_context_plan(es->deparse_cxt, (Plan *)plan, NIL);
    StringInfoData s;
    initStringInfo(&s);
    ListCell *lc;
    foreach (lc, plan->fdw_scan_tlist) {
        TargetEntry *te = lfirst_node(TargetEntry, lc);
        appendStringInfo(&s, "%s%s", s.len > 0 ? ", " : "",
                         deparse_expression((Node *)te->expr, ctx, true, false));
    }
    ExplainPropertyText("Engine Output", s.data, es);
    if (ps->order != NIL) {
        resetStringInfo(&s);
        ListCell *oc;
        foreach (oc, ps->order) {
            List *ob = lfirst(oc);
            const int out = linitial_int(ob);
            /* the engine's outputs are the keys, then the engine aggregates: name them by the
             * tlist entry they come from */
            const char *name = "?";
            int i = 0;
            ListCell *t;
            foreach (t, ps->outputs) {
                List *o = lfirst(t);
                const int eo = linitial_int(o) == OUT_KEY ? lsecond_int(o)
                                                          : list_length(ps->keys) + lsecond_int(o);
                if (eo == out) {
                    TargetEntry *te = list_nth_node(TargetEntry, plan->fdw_scan_tlist, i);
                    name = deparse_expression((Node *)te->expr, ctx, true, false);
                    break;
                }
                i++;
            }
            appendStringInfo(&s, "%s%s%s%s", s.len > 0 ? ", " : "", name,
                             lsecond_int(ob) ? " DESC" : "",
                             lthird_int(ob) != lsecond_int(ob)
                                 ? (lthird_int(ob) ? " NULLS FIRST" : " NULLS LAST")
                                 : "");
        }
        ExplainPropertyText("Engine Order", s.data, es);
    }
    if (ps->limit >= 0) {
        ExplainPropertyInteger("Engine Limit", NULL, ps->limit - ps->offset, es);
        if (ps->offset > 0) ExplainPropertyInteger("Engine Offset", NULL, ps->offset, es);
    }
    const int offset = rt_offset(plan);
    for (int i = 0; i < ps->nmembers; i++) {
        if (ps->m[i].quals == NIL) continue;
        Node *quals = (Node *)make_ands_explicit((List *)copyObjectImpl(ps->m[i].quals));
        if (offset != 0) OffsetVarNodes(quals, offset, 0);
        ExplainPropertyText("Engine Filter", deparse_expression(quals, ctx, true, false), es);
    }
    if (!es->analyze || !ps->ran) return;
    resetStringInfo(&s);
    appendStringInfo(
        &s, "%llu of %llu partitions read, %llu rows scanned, %llu joined, %llu groups, %u workers",
        (unsigned long long)ps->stats.partitions_read,
        (unsigned long long)ps->stats.partitions_total, (unsigned long long)ps->stats.rows_scanned,
        (unsigned long long)ps->stats.rows_joined, (unsigned long long)ps->stats.groups,
        ps->stats.workers);
    ExplainPropertyText("Engine", s.data, es);
    ExplainPropertyText("Engine Kernel", ps->stats.kernel != NULL ? ps->stats.kernel : "general",
                        es);
}
