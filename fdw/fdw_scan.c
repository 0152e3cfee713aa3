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
#include "access/parallel.h"
#include "miscadmin.h"
#include "port/atomics.h"
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

/* The engine scans, closed on every path (see the file comment). */
struct engine_scan {
    MemoryContextCallback cb;
    colstore_scan *scan; /* the scan being read */
    colstore_scan *list; /* parallel: the partitions the participants share out */
};

/* Shared by the participants of a parallel scan (dynamic shared memory): the next partition
 * to claim, and the counts EXPLAIN ANALYZE shows. */
struct parallel_shared {
    pg_atomic_uint32 next;
    pg_atomic_uint64 parts_scanned, rows_scanned, rows_returned;
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
    MemoryContext pred_cxt;         /* the built predicate, kept for the scan's life */
    colstore_scan_options opts;     /* projection, predicate and time bounds */
    bool started;                   /* the engine scans are open */
    struct parallel_shared *shared; /* parallel-aware: the partitions are shared out */
    size_t nlist;                   /* parallel: partitions in es->list */
    const colstore_batch *batch;
    size_t row, rows;
    colstore_column_data *data; /* nproj: the batch's columns */
    colstore_scan_stats stats;  /* of the scans already closed (rescans) */
    int plan_parts_kept, plan_parts_total;
    bool par_done; /* a parallel scan's counts, summed over its participants */
    uint64 par_parts, par_rows_scanned, par_rows_returned;
    struct cs_fdw_conv conv;
};

static void close_engine_scan(void *arg)
{
    struct engine_scan *es = arg;
    colstore_scan_close(es->scan);
    colstore_scan_close(es->list);
    es->scan = NULL;
    es->list = NULL;
}

/* ---- the engine's predicate ---- */

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

static void
build_in(struct cs_fdw_pred_builder *b, const struct cs_fdw_qnode *q, colstore_pred *out)
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

static void
build_logic(struct cs_fdw_pred_builder *b, const struct cs_fdw_qnode *q, colstore_pred *out)
{
    out->op = q->kind == CS_FDW_Q_AND  ? COLSTORE_OP_AND
              : q->kind == CS_FDW_Q_OR ? COLSTORE_OP_OR
                                       : COLSTORE_OP_NOT;
    colstore_pred *args = palloc0(sizeof(*args) * list_length(q->args));
    int i = 0;
    ListCell *lc;
    foreach (lc, q->args)
        cs_fdw_build_pred(b, lfirst(lc), &args[i++]);
    out->args = args;
    out->nargs = (size_t)i;
}

void cs_fdw_build_pred(struct cs_fdw_pred_builder *b,
                       const struct cs_fdw_qnode *q,
                       colstore_pred *out)
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

void cs_fdw_init_value_states(List *qnodes, PlanState *ps)
{
    ListCell *lc;
    foreach (lc, qnodes) {
        struct cs_fdw_qnode *q = lfirst(lc);
        if ((q->kind == CS_FDW_Q_CMP || q->kind == CS_FDW_Q_IN) && !IsA(q->value, Const))
            q->value_state = ExecInitExpr(q->value, ps);
        if (q->args != NIL) cs_fdw_init_value_states(q->args, ps);
    }
}

static void init_projection(struct scan_state *ss, List *attnos)
{
    ss->nproj = list_length(attnos);
    ss->proj_attno = palloc0(sizeof(AttrNumber) * (ss->nproj + 1));
    // NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers
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

/* Narrow [*lo, *hi] by a built top-level condition on time_key (comparison or IN list). */
static void time_bounds(const colstore_pred *p, int64 *lo, int64 *hi)
{
    if (p->op == COLSTORE_OP_IN) {
        int64 mn = PG_INT64_MAX, mx = PG_INT64_MIN;
        for (size_t i = 0; i < p->nvalues; i++) {
            if (p->values[i].type == COLSTORE_TYPE_NULL) continue;
            mn = Min(mn, p->values[i].i);
            mx = Max(mx, p->values[i].i);
        }
        *lo = Max(*lo, mn);
        *hi = Min(*hi, mx);
        return;
    }
    if (p->value.type == COLSTORE_TYPE_NULL) return;
    const int64 v = p->value.i;
    switch (p->op) {
    case COLSTORE_OP_EQ:
        *lo = Max(*lo, v);
        *hi = Min(*hi, v);
        break;
    case COLSTORE_OP_LT:
        if (v > PG_INT64_MIN) *hi = Min(*hi, v - 1);
        break;
    case COLSTORE_OP_LE:
        *hi = Min(*hi, v);
        break;
    case COLSTORE_OP_GT:
        if (v < PG_INT64_MAX) *lo = Max(*lo, v + 1);
        break;
    case COLSTORE_OP_GE:
        *lo = Max(*lo, v);
        break;
    default:
        break;
    }
}

/* The scan's time_key bounds from the built conditions: partitions outside are not read (0
 * means no bound; an empty range prunes every partition). */
static void set_time_bounds(const struct scan_state *ss,
                            const colstore_pred *args,
                            int n,
                            colstore_scan_options *opts)
{
    if (ss->table.rel.time_attno <= 0) return;
    int64 lo = PG_INT64_MIN, hi = PG_INT64_MAX;
    int i = 0;
    ListCell *lc;
    foreach (lc, ss->qnodes) {
        const struct cs_fdw_qnode *q = lfirst(lc);
        if ((q->kind == CS_FDW_Q_CMP || q->kind == CS_FDW_Q_IN) &&
            q->col->attno == ss->table.rel.time_attno && i < n)
            time_bounds(&args[i], &lo, &hi);
        i++;
    }
    if (lo > hi || hi < 1) {
        opts->time_key_min = 1;
        opts->time_key_max = -1;
        return;
    }
    opts->time_key_min = lo > 1 ? (int32)Min(lo, PG_INT32_MAX) : 0;
    opts->time_key_max = hi < PG_INT32_MAX ? (int32)hi : 0;
}

/* The predicate and options of the engine scans, evaluated for this (re)scan. */
static void build_options(ForeignScanState *node, struct scan_state *ss)
{
    MemoryContextReset(ss->pred_cxt);
    MemoryContext old = MemoryContextSwitchTo(ss->pred_cxt);
    colstore_pred *where = NULL, *args = NULL;
    int n = list_length(ss->qnodes);
    if (n > 0) {
        struct cs_fdw_pred_builder b = {node->ss.ps.ps_ExprContext};
        args = palloc0(sizeof(*args) * n);
        int i = 0;
        ListCell *lc;
        foreach (lc, ss->qnodes)
            cs_fdw_build_pred(&b, lfirst(lc), &args[i++]);
        where = palloc0(sizeof(*where));
        where->op = COLSTORE_OP_AND;
        where->args = args;
        where->nargs = (size_t)n;
    }
    MemoryContextSwitchTo(old);
    ss->opts = (colstore_scan_options)COLSTORE_SCAN_OPTIONS_INIT;
    ss->opts.columns = ss->proj_ecol;
    ss->opts.ncolumns = (size_t)ss->nproj;
    ss->opts.where = where;
    set_time_bounds(ss, args, n, &ss->opts);
}

static void open_scan(struct scan_state *ss, const colstore_scan_options *opts, colstore_scan **out)
{
    colstore_error err;
    if (colstore_scan_open(ss->snap, ss->table.name, opts, out, &err) != COLSTORE_OK)
        cs_fdw_raise(&err, "starting a scan of the store");
}

/* Open the engine scans: one over every kept partition, or — in a parallel scan — the list of
 * kept partitions, which each participant computes alike from the same snapshot and predicate
 * and then claims from one at a time. */
static void start_scan(ForeignScanState *node, struct scan_state *ss)
{
    if (ss->snap == NULL)
        ss->snap = cs_fdw_query_snapshot(node->ss.ps.state->es_query_cxt, ss->table.opts.serverid);
    build_options(node, ss);
    if (ss->shared == NULL) {
        open_scan(ss, &ss->opts, &ss->es->scan);
    } else {
        colstore_scan_options list_opts = ss->opts;
        list_opts.ncolumns = 0;
        open_scan(ss, &list_opts, &ss->es->list);
        ss->nlist = colstore_scan_partitions(ss->es->list);
    }
    ss->started = true;
    ss->batch = NULL;
    ss->row = ss->rows = 0;
}

static void add_stats(colstore_scan_stats *sum, const colstore_scan *scan);

static void share_stats(struct parallel_shared *sh, const colstore_scan *scan)
{
    colstore_scan_stats s = COLSTORE_SCAN_STATS_INIT;
    if (scan == NULL || colstore_scan_get_stats(scan, &s, NULL) != COLSTORE_OK) return;
    pg_atomic_fetch_add_u64(&sh->parts_scanned, s.partitions_scanned);
    pg_atomic_fetch_add_u64(&sh->rows_scanned, s.rows_scanned);
    pg_atomic_fetch_add_u64(&sh->rows_returned, s.rows_returned);
}

/* Parallel: close the partition just read and open the next one nobody has claimed. */
static bool claim_partition(struct scan_state *ss)
{
    share_stats(ss->shared, ss->es->scan);
    colstore_scan_close(ss->es->scan);
    ss->es->scan = NULL;
    uint32 k = pg_atomic_fetch_add_u32(&ss->shared->next, 1);
    if (k >= ss->nlist) return false;
    colstore_scan_options one = ss->opts;
    one.first_partition = colstore_scan_partition(ss->es->list, k);
    one.partition_count = 1;
    open_scan(ss, &one, &ss->es->scan);
    return true;
}

static void begin_scan(ForeignScanState *node, int eflags)
{
    ForeignScan *plan = (ForeignScan *)node->ss.ps.plan;
    if (plan->scan.scanrelid == 0) {
        cs_fdw_push_begin(node, eflags);
        return;
    }
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
    cs_fdw_init_value_states(ss->qnodes, &node->ss.ps);
    ss->stats = (colstore_scan_stats)COLSTORE_SCAN_STATS_INIT;
    cs_fdw_conv_init(&ss->conv);
    if (eflags & EXEC_FLAG_EXPLAIN_ONLY) return;

    ss->pred_cxt =
        AllocSetContextCreate(estate->es_query_cxt, "colstore predicate", ALLOCSET_SMALL_SIZES);
    ss->es = MemoryContextAllocZero(estate->es_query_cxt, sizeof(*ss->es));
    ss->es->cb.func = close_engine_scan;
    ss->es->cb.arg = ss->es;
    MemoryContextRegisterResetCallback(estate->es_query_cxt, &ss->es->cb);
    /* The query's snapshot is taken now, at executor start, in the leader; a parallel worker
     * takes its leader's (published before the workers start) at its first row. */
    if (!IsParallelWorker())
        ss->snap = cs_fdw_query_snapshot(estate->es_query_cxt, ss->table.opts.serverid);
}

static bool next_batch(ForeignScanState *node, struct scan_state *ss)
{
    colstore_error err;
    if (!ss->started) start_scan(node, ss);
    for (;;) {
        CHECK_FOR_INTERRUPTS();
        if (ss->es->scan == NULL) {
            if (ss->shared == NULL || !claim_partition(ss)) return false;
        }
        if (colstore_scan_next(ss->es->scan, &ss->batch, &err) != COLSTORE_OK)
            cs_fdw_raise(&err, "reading the store");
        if (ss->batch == NULL) {
            if (ss->shared == NULL) return false;
            if (!claim_partition(ss)) return false;
            continue;
        }
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

static TupleTableSlot *iterate(ForeignScanState *node)
{
    if (((ForeignScan *)node->ss.ps.plan)->scan.scanrelid == 0) return cs_fdw_push_iterate(node);
    struct scan_state *ss = node->fdw_state;
    TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
    ExecClearTuple(slot);
    if (ss->row >= ss->rows && !next_batch(node, ss)) return slot;
    const size_t r = ss->row++;
    memset(slot->tts_isnull, true, sizeof(bool) * slot->tts_tupleDescriptor->natts);
    for (int j = 0; j < ss->nproj; j++) {
        const colstore_column_data *d = &ss->data[j];
        const int a = ss->proj_attno[j] - 1;
        if (d->nulls != NULL && d->nulls[r]) continue;
        const uint64_t o = d->offsets != NULL ? d->offsets[r] : 0;
        slot->tts_values[a] = cs_fdw_value_datum(
            &ss->conv, ss->proj[j], d->values != NULL ? d->values[r] : 0,
            d->bools != NULL && d->bools[r] != 0, d->data != NULL ? d->data + o : NULL,
            d->offsets != NULL ? (size_t)(d->offsets[r + 1] - o) : 0);
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

static void stop_scan(struct scan_state *ss)
{
    add_stats(&ss->stats, ss->es->scan);
    add_stats(&ss->stats, ss->es->list);
    if (ss->shared != NULL) share_stats(ss->shared, ss->es->scan);
    close_engine_scan(ss->es);
    ss->started = false;
}

static void rescan(ForeignScanState *node)
{
    if (((ForeignScan *)node->ss.ps.plan)->scan.scanrelid == 0) {
        cs_fdw_push_rescan(node);
        return;
    }
    struct scan_state *ss = node->fdw_state;
    if (ss->es != NULL && ss->started) stop_scan(ss);
}

static void end_scan(ForeignScanState *node)
{
    if (((ForeignScan *)node->ss.ps.plan)->scan.scanrelid == 0) {
        cs_fdw_push_end(node);
        return;
    }
    struct scan_state *ss = node->fdw_state;
    if (ss == NULL || ss->es == NULL) return;
    if (ss->started) stop_scan(ss);
}

/* ---- parallel scans ---- */

static bool parallel_safe(PlannerInfo *root, RelOptInfo *rel, RangeTblEntry *rte)
{
    (void)root;
    (void)rel;
    (void)rte;
    return true; /* each participant reads the files itself, on its leader's snapshot */
}

static Size estimate_dsm(ForeignScanState *node, ParallelContext *pcxt)
{
    (void)node;
    (void)pcxt;
    return sizeof(struct parallel_shared);
}

static void init_shared(struct parallel_shared *sh)
{
    pg_atomic_init_u32(&sh->next, 0);
    pg_atomic_init_u64(&sh->parts_scanned, 0);
    pg_atomic_init_u64(&sh->rows_scanned, 0);
    pg_atomic_init_u64(&sh->rows_returned, 0);
}

static void init_dsm(ForeignScanState *node, ParallelContext *pcxt, void *coordinate)
{
    (void)pcxt;
    struct scan_state *ss = node->fdw_state;
    ss->shared = coordinate;
    init_shared(ss->shared);
}

static void reinit_dsm(ForeignScanState *node, ParallelContext *pcxt, void *coordinate)
{
    (void)node;
    (void)pcxt;
    init_shared(coordinate);
}

static void init_worker(ForeignScanState *node, shm_toc *toc, void *coordinate)
{
    (void)toc;
    struct scan_state *ss = node->fdw_state;
    ss->shared = coordinate;
}

/* Before the shared memory goes away: keep the participants' counts for EXPLAIN ANALYZE. */
static void shutdown_scan(ForeignScanState *node)
{
    if (((ForeignScan *)node->ss.ps.plan)->scan.scanrelid == 0) return;
    struct scan_state *ss = node->fdw_state;
    if (ss == NULL || ss->shared == NULL || IsParallelWorker()) return;
    if (ss->started) stop_scan(ss);
    ss->par_parts = pg_atomic_read_u64(&ss->shared->parts_scanned);
    ss->par_rows_scanned = pg_atomic_read_u64(&ss->shared->rows_scanned);
    ss->par_rows_returned = pg_atomic_read_u64(&ss->shared->rows_returned);
    ss->par_done = true;
    ss->shared = NULL;
}

/* ---- EXPLAIN ---- */

static void explain_partitions(const struct scan_state *ss, ExplainState *es)
{
    colstore_scan_stats s = ss->stats;
    if (ss->es != NULL) add_stats(&s, ss->es->scan);
    if (ss->es != NULL) add_stats(&s, ss->es->list);
    if (ss->par_done) { /* the list scan counted the pruning; the participants the reading */
        s.partitions_scanned = ss->par_parts;
        s.rows_scanned = ss->par_rows_scanned;
        s.rows_returned = ss->par_rows_returned;
    }
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

/* EXPLAIN VERBOSE: why the grouping over this table runs in PostgreSQL (fdw_push.c). */
static void explain_not_pushed(List *priv, ExplainState *es)
{
    if (!es->verbose || list_length(priv) < 4 || lfourth(priv) == NIL) return;
    List *why = NIL;
    ListCell *lc;
    foreach (lc, (List *)lfourth(priv))
        why = lappend(why, strVal(lfirst(lc)));
    ExplainPropertyList("Not Pushed", why, es);
}

static void explain(ForeignScanState *node, ExplainState *es)
{
    if (((ForeignScan *)node->ss.ps.plan)->scan.scanrelid == 0) {
        cs_fdw_push_explain(node, es);
        return;
    }
    const struct scan_state *ss = node->fdw_state;
    if (es->verbose) ExplainPropertyText("Store Table", ss->table.name, es);
    explain_not_pushed(((ForeignScan *)node->ss.ps.plan)->fdw_private, es);
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
    r->IsForeignScanParallelSafe = parallel_safe;
    r->EstimateDSMForeignScan = estimate_dsm;
    r->InitializeDSMForeignScan = init_dsm;
    r->ReInitializeDSMForeignScan = reinit_dsm;
    r->InitializeWorkerForeignScan = init_worker;
    r->ShutdownForeignScan = shutdown_scan;
}
