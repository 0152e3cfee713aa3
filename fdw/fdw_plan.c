/*
 * Planning a scan of a colstore foreign table: which WHERE conditions go to the engine
 * (fdw_quals.c), which columns it must return, and how many rows to expect.
 *
 * Row estimates come from the store's manifest: the rows of the partitions within the
 * time_key bounds of the conditions (exact), times PostgreSQL's default selectivity of the
 * other conditions (the store keeps no value statistics beyond zone maps). So a join of a
 * fact table with a week of days is planned with a week of rows, not a year.
 *
 * What the plan carries to the executor (ForeignScan):
 *   fdw_exprs    the pushed conditions (setrefs fixes their parameters; the executor analyses
 *                them again and evaluates their constant sides once per scan)
 *   fdw_private  [0] the engine's table name, [1] the attribute numbers to return,
 *                [2] the estimate's partitions (kept, total) for EXPLAIN, [3] why a grouping
 *                over the table was not pushed into the engine (strings; EXPLAIN VERBOSE)
 */
#include "fdw/fdw.h"

#include "access/sysattr.h"
#include "foreign/fdwapi.h"
#include "nodes/makefuncs.h"
#include "optimizer/cost.h"
#include "optimizer/paths.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "utils/rel.h"

#define plan_state cs_fdw_relinfo /* the base relation's planning state */

static void
split_quals(PlannerInfo *root, RelOptInfo *baserel, struct plan_state *ps, int64 *lo, int64 *hi)
{
    (void)root;
    ListCell *lc;
    foreach (lc, baserel->baserestrictinfo) {
        RestrictInfo *ri = lfirst_node(RestrictInfo, lc);
        struct cs_fdw_qnode *q = cs_fdw_qual_analyze(ri->clause, &ps->table.rel);
        if (q == NULL) {
            ps->local = lappend(ps->local, ri);
            continue;
        }
        ps->pushed = lappend(ps->pushed, ri);
        if (ps->table.rel.time_attno > 0)
            cs_fdw_qual_time_bounds(q, ps->table.rel.time_attno, lo, hi);
    }
}

/* Selectivity of the conditions that do not only bound time_key (those are exact already). */
static Selectivity
other_selectivity(PlannerInfo *root, RelOptInfo *baserel, const struct plan_state *ps)
{
    List *others = NIL;
    ListCell *lc;
    foreach (lc, baserel->baserestrictinfo) {
        RestrictInfo *ri = lfirst_node(RestrictInfo, lc);
        Relids attrs = NULL;
        pull_varattnos((Node *)ri->clause, baserel->relid, &attrs);
        int only;
        if (ps->table.rel.time_attno > 0 && bms_get_singleton_member(attrs, &only) &&
            only == ps->table.rel.time_attno - FirstLowInvalidHeapAttributeNumber)
            continue;
        others = lappend(others, ri);
    }
    return clauselist_selectivity(root, others, baserel->relid, JOIN_INNER, NULL);
}

static void get_rel_size(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
    struct plan_state *ps = palloc0(sizeof(*ps));
    ps->kind = CS_FDW_REL_BASE;
    cs_fdw_table_load(foreigntableid, baserel->relid, &ps->table);
    int64 lo = PG_INT64_MIN, hi = PG_INT64_MAX;
    split_quals(root, baserel, ps, &lo, &hi);
    struct cs_fdw_rows r;
    cs_fdw_table_rows(&ps->table, lo, hi, &r);
    ps->scanned_rows = r.in_range;
    ps->parts_kept = r.parts_in_range;
    ps->parts_total = r.parts;
    baserel->tuples = r.total;
    baserel->rows = clamp_row_est(r.in_range * other_selectivity(root, baserel, ps));
    ps->pushable = ps->local == NIL;
    baserel->fdw_private = ps;
}

/* Rows a participant of a parallel scan reads before the parallel machinery pays. */
#define CS_FDW_PARALLEL_MIN_ROWS 100000.0

/* A parallel-aware path: the participants claim the kept partitions one at a time (fdw_scan.c),
 * so the table's work divides by the participants, as PostgreSQL divides a seq scan's. */
static void add_partial_path_if_worth(
    PlannerInfo *root, RelOptInfo *baserel, const struct plan_state *ps, Cost startup, Cost run)
{
    if (!baserel->consider_parallel || !ps->table.partitioned || ps->parts_kept < 2 ||
        ps->scanned_rows < CS_FDW_PARALLEL_MIN_ROWS)
        return;
    int workers = ps->scanned_rows >= 3 * CS_FDW_PARALLEL_MIN_ROWS ? 2 : 1;
    workers = Min(workers, max_parallel_workers_per_gather);
    workers = Min(workers, (int)ps->parts_kept - 1);
    if (workers <= 0) return;
    /* PostgreSQL's divisor: the leader helps less the more workers there are */
    double divisor = workers;
    double leader = 1.0 - 0.3 * workers;
    if (parallel_leader_participation && leader > 0) divisor += leader;
    Path *path =
        (Path *)create_foreignscan_path(root, baserel, NULL, clamp_row_est(baserel->rows / divisor),
                                        startup, startup + run / divisor, NIL, NULL, NULL, NIL);
    path->parallel_aware = true;
    path->parallel_safe = true;
    path->parallel_workers = workers;
    add_partial_path(baserel, path);
}

static void add_paths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
    (void)foreigntableid;
    const struct plan_state *ps = baserel->fdw_private;
    /* The engine filters a vector at a time (cheap per scanned row); a returned row becomes a
     * tuple and meets PostgreSQL's own filter. */
    QualCost local;
    cost_qual_eval(&local, extract_actual_clauses(ps->local, false), root);
    Cost startup = 10.0 + local.startup;
    Cost run = ps->scanned_rows * cpu_operator_cost * 0.25 +
               baserel->rows * (cpu_tuple_cost + local.per_tuple);
    Path *path = (Path *)create_foreignscan_path(root, baserel, NULL, baserel->rows, startup,
                                                 startup + run, NIL, NULL, NULL, NIL);
    add_path(baserel, path);
    add_partial_path_if_worth(root, baserel, ps, startup, run);
}

/* The attribute numbers the executor must fill: the target list's and the local quals'. */
static List *needed_attnos(RelOptInfo *baserel, List *local_quals)
{
    Bitmapset *attrs = NULL;
    pull_varattnos((Node *)baserel->reltarget->exprs, baserel->relid, &attrs);
    pull_varattnos((Node *)local_quals, baserel->relid, &attrs);
    List *out = NIL;
    int x = -1;
    const struct plan_state *ps = baserel->fdw_private;
    while ((x = bms_next_member(attrs, x)) >= 0) {
        AttrNumber a = (AttrNumber)(x + FirstLowInvalidHeapAttributeNumber);
        if (a == 0) { /* a whole-row reference needs every column */
            list_free(out);
            out = NIL;
            for (AttrNumber i = 1; i <= ps->table.rel.natts; i++)
                out = lappend_int(out, i);
            return out;
        }
        if (a > 0) out = lappend_int(out, a);
    }
    return out;
}

static ForeignScan *make_plan(PlannerInfo *root,
                              RelOptInfo *baserel,
                              Oid foreigntableid,
                              ForeignPath *best_path,
                              List *tlist,
                              List *scan_clauses,
                              Plan *outer_plan)
{
    (void)foreigntableid;
    if (!IS_SIMPLE_REL(baserel))
        return cs_fdw_push_plan(root, baserel, best_path, tlist, outer_plan);
    const struct plan_state *ps = baserel->fdw_private;
    List *local = NIL, *pushed = NIL;
    ListCell *lc;
    foreach (lc, scan_clauses) {
        RestrictInfo *ri = lfirst_node(RestrictInfo, lc);
        if (ri->pseudoconstant) continue; /* a gating Result above the scan handles these */
        if (list_member_ptr(ps->pushed, ri))
            pushed = lappend(pushed, ri->clause);
        else
            local = lappend(local, ri->clause);
    }
    List *priv =
        list_make4(makeString(pstrdup(ps->table.name)), needed_attnos(baserel, local),
                   list_make2(makeInteger((int)ps->parts_kept), makeInteger((int)ps->parts_total)),
                   list_copy(ps->not_pushed));
    return make_foreignscan(tlist, local, baserel->relid, pushed, priv, NIL, NIL, outer_plan);
}

void cs_fdw_plan_routines(FdwRoutine *r)
{
    r->GetForeignRelSize = get_rel_size;
    r->GetForeignPaths = add_paths;
    r->GetForeignPlan = make_plan;
}
