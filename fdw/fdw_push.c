/*
 * Star queries pushed into the engine: a fact table joined with its dimensions on their keys
 * (GetForeignJoinPaths), grouped and aggregated (GetForeignUpperPaths), run by the engine's
 * executor (colstore_query) and handed to PostgreSQL as the grouped rows.
 *
 * Joins: a join of a star (the fact, or the fact already joined with dimensions) with a
 * dimension, inner or left (the fact on the outer side), on exactly one condition
 * `fact.column = dimension.key` (the dimension's one-column primary key), with every
 * condition of both sides evaluated by the engine, is marked as a star in the join relation's
 * fdw_private. No path is added for the join alone: it runs in the engine only under a
 * grouping, so PostgreSQL's own join plans stay for queries that return the joined rows.
 *
 * Grouping: GROUP BY of columns of any member, or of date_trunc / extract / to_char('Month' |
 * 'Day') of a date or timestamptz column (in a session whose TimeZone is UTC, as the engine
 * computes them); aggregates count(*), count(x), count(DISTINCT x), sum, avg, min, max,
 * bool_and, bool_or, percentile_cont(f) WITHIN GROUP (ORDER BY x), each with a FILTER on the
 * fact's columns. Expressions over aggregates (ROUND(AVG(x), 2), 100.0 * count(*) FILTER (...)
 * / count(*)) are computed by PostgreSQL from the exact aggregates, and so is HAVING. The
 * engine returns raw values (an average is its sum and count); PostgreSQL's own numeric
 * functions finish them (fdw_pushexec.c), so the numbers are PostgreSQL's by construction.
 *
 * Anything else leaves the query to PostgreSQL over the foreign scans, always correct.
 *
 * The plan's fdw_private (the "spec", read by fdw_pushexec.c):
 *   [0] server oid   [1] the members' relation oids (the fact first)   [2] their range-table
 *   indexes   [3] joins: (fact engine column, dimension engine column, left)   [4] per member:
 *   its pushed conditions (expressions over its Vars)   [5] keys: (member, engine column, fn,
 *   result type)   [6] engine aggregates: (kind, member, engine column, fraction, FILTER or
 *   NULL)   [7] outputs, one per scan tlist entry: (how, a, b, scale)   [8] EXPLAIN's text;
 *   when ORDER BY is pushed, [9] (engine output, desc, nulls first) per sort key; when LIMIT is,
 *   [10] the rows the engine keeps (offset + count, -1 all) and [11] the offset the scan skips.
 */
#include "fdw/fdw.h"

#include "access/stratnum.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_am.h"
#include "commands/defrem.h"
#include "catalog/pg_type.h"
#include "foreign/fdwapi.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/tlist.h"
#include "parser/parsetree.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/pg_locale.h"
#include "utils/selfuncs.h"
#include "utils/timestamp.h"

bool cs_fdw_pushdown = true;
bool cs_fdw_kernels = true;

/* ---- joins ---- */

/* The member of info that is range-table entry varno: 0 the fact, j + 1 join j; -1 none. */
static int member_of(const struct cs_fdw_relinfo *star, Index varno)
{
    if (star->fact->table.rel.relid == varno) return 0;
    for (int j = 0; j < star->njoins; j++)
        if (star->joins[j].dim->table.rel.relid == varno) return j + 1;
    return -1;
}

static const struct cs_fdw_relinfo *member_info(const struct cs_fdw_relinfo *star, int m)
{
    return m == 0 ? star->fact : star->joins[m - 1].dim;
}

/* A star view of a relation: a base table is a star without joins. */
static struct cs_fdw_relinfo *as_star(struct cs_fdw_relinfo *info)
{
    if (info->kind != CS_FDW_REL_BASE) return info;
    struct cs_fdw_relinfo *s = palloc0(sizeof(*s));
    s->kind = CS_FDW_REL_JOIN;
    s->pushable = info->pushable;
    s->fact = info;
    return s;
}

/* Whether attribute attno of base info is its table's one-column primary key. */
static bool is_single_key(const struct cs_fdw_relinfo *info, AttrNumber attno)
{
    colstore_table_info ti = COLSTORE_TABLE_INFO_INIT;
    if (attno <= 0 || attno > info->table.rel.natts ||
        colstore_table_describe(NULL, info->table.name, &ti, NULL) != COLSTORE_OK)
        return false;
    const struct cs_fdw_col *c = &info->table.rel.cols[attno - 1];
    return ti.key_columns == 1 && c->ecol >= 0 && (size_t)c->ecol == ti.key[0] &&
           c->kind == CS_FDW_V_INT;
}

static Var *plain_var(Expr *e)
{
    while (IsA(e, RelabelType))
        e = ((RelabelType *)e)->arg;
    return IsA(e, Var) && ((Var *)e)->varattno > 0 && ((Var *)e)->varlevelsup == 0 ? (Var *)e
                                                                                   : NULL;
}

/* Whether (a, b) are a fact column and the dimension's key, as (fact attno, dim attno). */
static bool fact_dim_pair(Var *a,
                          Var *b,
                          const struct cs_fdw_relinfo *star,
                          const struct cs_fdw_relinfo *dim,
                          AttrNumber *fact_att,
                          AttrNumber *dim_att)
{
    if ((Index)a->varno == dim->table.rel.relid) {
        Var *t = a;
        a = b;
        b = t;
    }
    if ((Index)b->varno != dim->table.rel.relid || (Index)a->varno != star->fact->table.rel.relid ||
        a->varattno > star->fact->table.rel.natts)
        return false;
    const struct cs_fdw_col *fc = &star->fact->table.rel.cols[a->varattno - 1];
    if (fc->ecol < 0 || fc->kind != CS_FDW_V_INT || !is_single_key(dim, b->varattno)) return false;
    *fact_att = a->varattno;
    *dim_att = b->varattno;
    return true;
}

/* With `f.k = d.k AND f.k = 5` the planner keeps the equality in an equivalence class with the
 * constant and filters both sides by it, so no join condition is left: the class still says
 * that the two columns are equal. */
static bool key_equality_by_class(PlannerInfo *root,
                                  const struct cs_fdw_relinfo *star,
                                  const struct cs_fdw_relinfo *dim,
                                  AttrNumber *fact_att,
                                  AttrNumber *dim_att)
{
    ListCell *lc;
    foreach (lc, root->eq_classes) {
        EquivalenceClass *ec = lfirst(lc);
        if (!ec->ec_has_const || ec->ec_has_volatile || ec->ec_broken) continue;
        Var *f = NULL, *d = NULL;
        ListCell *m;
        foreach (m, ec->ec_members) {
            Var *v = plain_var(((EquivalenceMember *)lfirst(m))->em_expr);
            if (v == NULL) continue;
            if ((Index)v->varno == star->fact->table.rel.relid) f = v;
            if ((Index)v->varno == dim->table.rel.relid) d = v;
        }
        if (f != NULL && d != NULL && fact_dim_pair(f, d, star, dim, fact_att, dim_att))
            return true;
    }
    return false;
}

/* The one join condition `star.fact.col = dim.key`, as (fact attno, dim attno). */
static bool key_equality(PlannerInfo *root,
                         List *restrictlist,
                         const struct cs_fdw_relinfo *star,
                         const struct cs_fdw_relinfo *dim,
                         AttrNumber *fact_att,
                         AttrNumber *dim_att)
{
    if (restrictlist == NIL) return key_equality_by_class(root, star, dim, fact_att, dim_att);
    if (list_length(restrictlist) != 1) return false;
    RestrictInfo *ri = linitial_node(RestrictInfo, restrictlist);
    if (!IsA(ri->clause, OpExpr) || ri->mergeopfamilies == NIL) return false;
    OpExpr *op = (OpExpr *)ri->clause;
    if (list_length(op->args) != 2) return false;
    Var *a = plain_var(linitial(op->args)), *b = plain_var(lsecond(op->args));
    return a != NULL && b != NULL && fact_dim_pair(a, b, star, dim, fact_att, dim_att);
}

static void join_paths(PlannerInfo *root,
                       RelOptInfo *joinrel,
                       RelOptInfo *outerrel,
                       RelOptInfo *innerrel,
                       JoinType jointype,
                       JoinPathExtraData *extra)
{
    if (!cs_fdw_pushdown || joinrel->fdw_private != NULL) return;
    struct cs_fdw_relinfo *o = outerrel->fdw_private, *i = innerrel->fdw_private;
    if (o == NULL || i == NULL || !o->pushable || !i->pushable) return;
    if (jointype != JOIN_INNER && jointype != JOIN_LEFT) return;
    if (o->kind == CS_FDW_REL_GROUPED || i->kind == CS_FDW_REL_GROUPED) return;
    /* the dimension is a base table: the inner side, or (inner joins) the outer one */
    struct cs_fdw_relinfo *star = NULL, *dim = NULL;
    AttrNumber fact_att = 0, dim_att = 0;
    if (i->kind == CS_FDW_REL_BASE &&
        key_equality(root, extra->restrictlist, as_star(o), i, &fact_att, &dim_att)) {
        star = as_star(o);
        dim = i;
    } else if (jointype == JOIN_INNER && o->kind == CS_FDW_REL_BASE &&
               key_equality(root, extra->restrictlist, as_star(i), o, &fact_att, &dim_att)) {
        star = as_star(i);
        dim = o;
    }
    if (star == NULL || star->njoins >= CS_FDW_MAX_JOINS) return;
    struct cs_fdw_relinfo *s = palloc0(sizeof(*s));
    *s = *star;
    s->kind = CS_FDW_REL_JOIN;
    s->pushable = true;
    s->joins[s->njoins++] = (struct cs_fdw_joininfo){dim, fact_att, dim_att, jointype == JOIN_LEFT};
    joinrel->fdw_private = s;
}

/* ---- grouping ---- */

/* Whether the session's TimeZone is UTC (a fixed offset of zero): the engine's calendar. */
static bool session_is_utc(void)
{
    long gmtoff = 0;
    return pg_get_timezone_offset(session_timezone, &gmtoff) && gmtoff == 0;
}

struct grouping {
    PlannerInfo *root;
    const struct cs_fdw_relinfo *star;
    char *why;     /* what could not be pushed, for EXPLAIN VERBOSE */
    List *keys;    /* (member, ecol, fn, result type) */
    List *aggs;    /* (kind, member, ecol, fraction, filter) */
    List *outputs; /* per tlist entry */
    List *tlist;   /* TargetEntry */
};

/* A Var of a member: its (member, engine column, column). */
static bool
member_column(const struct grouping *g, Expr *e, int *member, const struct cs_fdw_col **col)
{
    Var *v = plain_var(e);
    if (v == NULL) return false;
    *member = member_of(g->star, (Index)v->varno);
    if (*member < 0) return false;
    const struct cs_fdw_relinfo *m = member_info(g->star, *member);
    if (v->varattno > m->table.rel.natts) return false;
    *col = &m->table.rel.cols[v->varattno - 1];
    return (*col)->ecol >= 0;
}

static int fn_of_unit(const char *unit, bool trunc)
{
    static const struct {
        const char *name;
        int trunc, extract;
    } units[] = {{"year", COLSTORE_FN_TRUNC_YEAR, COLSTORE_FN_YEAR},
                 {"quarter", COLSTORE_FN_TRUNC_QUARTER, COLSTORE_FN_QUARTER},
                 {"month", COLSTORE_FN_TRUNC_MONTH, COLSTORE_FN_MONTH},
                 {"week", COLSTORE_FN_TRUNC_WEEK, COLSTORE_FN_WEEK},
                 {"day", COLSTORE_FN_TRUNC_DAY, COLSTORE_FN_DAY},
                 {"hour", COLSTORE_FN_TRUNC_HOUR, COLSTORE_FN_HOUR},
                 {"minute", 0, COLSTORE_FN_MINUTE},
                 {"dow", 0, COLSTORE_FN_DOW},
                 {"isodow", 0, COLSTORE_FN_ISODOW},
                 {"doy", 0, COLSTORE_FN_DOY},
                 {"isoyear", 0, COLSTORE_FN_ISOYEAR}};
    for (size_t i = 0; i < lengthof(units); i++)
        if (pg_strcasecmp(unit, units[i].name) == 0)
            return trunc ? units[i].trunc : units[i].extract;
    return 0;
}

static const char *const_text(Expr *e)
{
    if (!IsA(e, Const) || ((Const *)e)->constisnull || ((Const *)e)->consttype != TEXTOID)
        return NULL;
    return TextDatumGetCString(((Const *)e)->constvalue);
}

/* A date or timestamptz column under a calendar function (a date cast to timestamptz too). */
static bool calendar_arg(
    const struct grouping *g, Expr *e, bool allow_cast, int *member, const struct cs_fdw_col **col)
{
    if (allow_cast && IsA(e, FuncExpr) && ((FuncExpr *)e)->funcid == F_TIMESTAMPTZ_DATE &&
        list_length(((FuncExpr *)e)->args) == 1)
        e = linitial(((FuncExpr *)e)->args);
    return member_column(g, e, member, col) &&
           ((*col)->kind == CS_FDW_V_DATE || (*col)->kind == CS_FDW_V_TIMESTAMPTZ);
}

/* A group key expression as (member, column, fn); false when the engine cannot compute it. */
static bool
key_of(const struct grouping *g, Expr *e, int *member, const struct cs_fdw_col **col, int *fn)
{
    *fn = COLSTORE_FN_NONE;
    if (member_column(g, e, member, col)) return true;
    if (!IsA(e, FuncExpr) || !session_is_utc()) return false;
    FuncExpr *f = (FuncExpr *)e;
    if (list_length(f->args) != 2) return false;
    Expr *a0 = linitial(f->args), *a1 = lsecond(f->args);
    switch (f->funcid) {
    case F_DATE_TRUNC_TEXT_TIMESTAMPTZ: {
        const char *unit = const_text(a0);
        *fn = unit != NULL ? fn_of_unit(unit, true) : 0;
        return *fn != 0 && calendar_arg(g, a1, true, member, col);
    }
    case F_EXTRACT_TEXT_TIMESTAMPTZ:
    case F_EXTRACT_TEXT_DATE: {
        const char *unit = const_text(a0);
        *fn = unit != NULL ? fn_of_unit(unit, false) : 0;
        if (*fn == 0 || !calendar_arg(g, a1, false, member, col)) return false;
        /* extract(hour | minute FROM date) is an error in PostgreSQL: leave it to it */
        return !((*col)->kind == CS_FDW_V_DATE &&
                 (*fn == COLSTORE_FN_HOUR || *fn == COLSTORE_FN_MINUTE));
    }
    case F_TO_CHAR_TIMESTAMPTZ_TEXT: {
        const char *fmt = const_text(a1);
        if (fmt == NULL) return false;
        *fn = strcmp(fmt, "Month") == 0 ? COLSTORE_FN_MONTH_NAME
              : strcmp(fmt, "Day") == 0 ? COLSTORE_FN_DAY_NAME
                                        : 0;
        return *fn != 0 && calendar_arg(g, a0, true, member, col);
    }
    default:
        return false;
    }
}

/* Output kinds: how a scan tlist entry is made from the engine's result. */
enum out_how {
    OUT_KEY = 1, /* key a (as the column's type; calendar functions as theirs) */
    OUT_INT8,    /* aggregate a as bigint (counts; sums of int2 / int4) */
    OUT_NUMERIC, /* aggregate a as numeric with `scale` (sums of int8 and numeric) */
    OUT_AVG,     /* numeric_div(sum a with `scale`, count b) */
    OUT_VALUE,   /* aggregate a as the argument column's type (min, max) */
    OUT_BOOL,    /* aggregate a */
    OUT_FLOAT8,  /* aggregate a */
};

static int
add_engine_agg(struct grouping *g, int kind, int member, int ecol, double fraction, Expr *filter)
{
    List *a = list_make4(makeInteger(kind), makeInteger(member), makeInteger(ecol),
                         makeString(psprintf("%.17g", fraction)));
    a = lappend(a, filter);
    /* the same engine aggregate serves every output that needs it */
    int i = 0;
    ListCell *lc;
    foreach (lc, g->aggs) {
        if (equal(lfirst(lc), a)) return i;
        i++;
    }
    g->aggs = lappend(g->aggs, a);
    return list_length(g->aggs) - 1;
}

static bool is_sum_avg_type(const struct cs_fdw_col *c)
{
    return c->kind == CS_FDW_V_INT || c->kind == CS_FDW_V_NUMERIC;
}

/* The argument of an aggregate: a member's column, for percentile_cont under its cast to
 * float8. */
static bool agg_arg(const struct grouping *g,
                    Aggref *ag,
                    bool float8_cast,
                    int *member,
                    const struct cs_fdw_col **col)
{
    if (list_length(ag->args) != 1) return false;
    Expr *e = linitial_node(TargetEntry, ag->args)->expr;
    if (float8_cast) {
        if (!IsA(e, FuncExpr)) return false;
        FuncExpr *f = (FuncExpr *)e;
        if ((f->funcid != F_FLOAT8_INT2 && f->funcid != F_FLOAT8_INT4 &&
             f->funcid != F_FLOAT8_INT8 && f->funcid != F_FLOAT8_NUMERIC) ||
            list_length(f->args) != 1)
            return false;
        e = linitial(f->args);
    }
    return member_column(g, e, member, col);
}

/* min / max: a type the engine orders as PostgreSQL does (text under the C collation). */
static bool min_max_ok(const Aggref *ag, const struct cs_fdw_col *c)
{
    switch (c->kind) {
    case CS_FDW_V_INT:
    case CS_FDW_V_NUMERIC:
    case CS_FDW_V_DATE:
    case CS_FDW_V_TIMESTAMPTZ:
        return true;
    case CS_FDW_V_TEXT:
        return OidIsValid(ag->inputcollid) && lc_collate_is_c(ag->inputcollid);
    default:
        return false;
    }
}

/* Aggregate ag as engine aggregates and the output that finishes it; false when it cannot be
 * pushed. */
static bool translate_agg(struct grouping *g, Aggref *ag, List **output)
{
    if (ag->agglevelsup != 0 || ag->aggvariadic || ag->aggsplit != AGGSPLIT_SIMPLE) return false;
    Expr *filter = ag->aggfilter;
    if (filter != NULL && cs_fdw_qual_analyze(filter, &g->star->fact->table.rel) == NULL)
        return false;
    const bool distinct = ag->aggdistinct != NIL;
    if (ag->aggkind == AGGKIND_ORDERED_SET) {
        if (ag->aggfnoid != F_PERCENTILE_CONT_FLOAT8_FLOAT8 || distinct ||
            list_length(ag->aggdirectargs) != 1 || !IsA(linitial(ag->aggdirectargs), Const))
            return false;
        Const *f = linitial(ag->aggdirectargs);
        if (f->constisnull || f->consttype != FLOAT8OID) return false;
        const double frac = DatumGetFloat8(f->constvalue);
        int m;
        const struct cs_fdw_col *c;
        if (!(frac >= 0 && frac <= 1) || !agg_arg(g, ag, true, &m, &c) || !is_sum_avg_type(c))
            return false;
        const int a = add_engine_agg(g, COLSTORE_AGG_PERCENTILE, m, c->ecol, frac, filter);
        *output = list_make4_int(OUT_FLOAT8, a, 0, 0);
        return true;
    }
    if (ag->aggorder != NIL || ag->aggkind != AGGKIND_NORMAL) return false;
    if (ag->aggfnoid == F_COUNT_ && !distinct) {
        *output = list_make4_int(OUT_INT8,
                                 add_engine_agg(g, COLSTORE_AGG_COUNT_ROWS, 0, 0, 0, filter), 0, 0);
        return true;
    }
    int m;
    const struct cs_fdw_col *c;
    if (!agg_arg(g, ag, false, &m, &c)) return false;
    if (ag->aggfnoid == F_COUNT_ANY) {
        const int kind = distinct ? COLSTORE_AGG_COUNT_DISTINCT : COLSTORE_AGG_COUNT;
        *output = list_make4_int(OUT_INT8, add_engine_agg(g, kind, m, c->ecol, 0, filter), 0, 0);
        return true;
    }
    if (distinct) return false;
    switch (ag->aggfnoid) {
    case F_SUM_INT2:
    case F_SUM_INT4:
    case F_SUM_INT8:
    case F_SUM_NUMERIC: {
        if (!is_sum_avg_type(c)) return false;
        const int a = add_engine_agg(g, COLSTORE_AGG_SUM, m, c->ecol, 0, filter);
        const bool int8_result = ag->aggfnoid == F_SUM_INT2 || ag->aggfnoid == F_SUM_INT4;
        *output = list_make4_int(int8_result ? OUT_INT8 : OUT_NUMERIC, a, 0, c->scale);
        return true;
    }
    case F_AVG_INT2:
    case F_AVG_INT4:
    case F_AVG_INT8:
    case F_AVG_NUMERIC: {
        if (!is_sum_avg_type(c)) return false;
        const int s = add_engine_agg(g, COLSTORE_AGG_SUM, m, c->ecol, 0, filter);
        const int n = add_engine_agg(g, COLSTORE_AGG_COUNT, m, c->ecol, 0, filter);
        *output = list_make4_int(OUT_AVG, s, n, c->scale);
        return true;
    }
    case F_MIN_INT2:
    case F_MIN_INT4:
    case F_MIN_INT8:
    case F_MIN_NUMERIC:
    case F_MIN_DATE:
    case F_MIN_TIMESTAMPTZ:
    case F_MIN_TEXT:
    case F_MAX_INT2:
    case F_MAX_INT4:
    case F_MAX_INT8:
    case F_MAX_NUMERIC:
    case F_MAX_DATE:
    case F_MAX_TIMESTAMPTZ:
    case F_MAX_TEXT: {
        if (!min_max_ok(ag, c)) return false;
        const bool is_min = get_func_name(ag->aggfnoid)[1] == 'i';
        const int a =
            add_engine_agg(g, is_min ? COLSTORE_AGG_MIN : COLSTORE_AGG_MAX, m, c->ecol, 0, filter);
        *output = list_make4_int(OUT_VALUE, a, m, c->attno);
        return true;
    }
    case F_BOOL_AND:
    case F_EVERY:
    case F_BOOL_OR: {
        if (c->kind != CS_FDW_V_BOOL) return false;
        const int kind = ag->aggfnoid == F_BOOL_OR ? COLSTORE_AGG_BOOL_OR : COLSTORE_AGG_BOOL_AND;
        *output = list_make4_int(OUT_BOOL, add_engine_agg(g, kind, m, c->ecol, 0, filter), 0, 0);
        return true;
    }
    default:
        return false;
    }
}

/* ---- why a grouping stays PostgreSQL's (EXPLAIN VERBOSE: "Not Pushed") ---- */

/* A short name of an expression of the query: alias.column, fn(), or "an expression". */
static char *expr_name(PlannerInfo *root, Expr *e)
{
    while (IsA(e, RelabelType))
        e = ((RelabelType *)e)->arg;
    if (IsA(e, Var) && ((Var *)e)->varlevelsup == 0) {
        RangeTblEntry *rte = planner_rt_fetch(((Var *)e)->varno, root);
        return psprintf("%s.%s", rte->eref->aliasname,
                        get_rte_attribute_name(rte, ((Var *)e)->varattno));
    }
    if (IsA(e, Aggref)) return psprintf("%s()", get_func_name(((Aggref *)e)->aggfnoid));
    if (IsA(e, FuncExpr)) return psprintf("%s()", get_func_name(((FuncExpr *)e)->funcid));
    return pstrdup("an expression");
}

static const char *key_why(Expr *e)
{
    if (IsA(e, FuncExpr) && !session_is_utc()) {
        switch (((FuncExpr *)e)->funcid) {
        case F_DATE_TRUNC_TEXT_TIMESTAMPTZ:
        case F_EXTRACT_TEXT_TIMESTAMPTZ:
        case F_EXTRACT_TEXT_DATE:
        case F_TO_CHAR_TIMESTAMPTZ_TEXT:
            return "the engine's calendar is UTC and the session's TimeZone is not";
        default:
            break;
        }
    }
    return "not a column nor a calendar function (date_trunc / extract / to_char 'Month' or "
           "'Day') the engine computes";
}

static const char *agg_why(const struct grouping *g, const Aggref *ag)
{
    if (ag->aggfilter != NULL &&
        cs_fdw_qual_analyze(ag->aggfilter, &g->star->fact->table.rel) == NULL)
        return "its FILTER is not a condition on the fact table the engine evaluates";
    if (ag->aggdistinct != NIL) return "DISTINCT is pushed in count() only";
    if (ag->aggorder != NIL && ag->aggkind == AGGKIND_NORMAL) return "ORDER BY inside an aggregate";
    return "not an aggregate the engine computes (or not of a column of a type it computes it on)";
}

static void upper_paths(PlannerInfo *root,
                        UpperRelationKind stage,
                        RelOptInfo *input_rel,
                        RelOptInfo *output_rel,
                        void *extra);

/* The planning state of range-table entry i when it is one of our foreign tables, else NULL. */
static struct cs_fdw_relinfo *our_base(PlannerInfo *root, int i)
{
    RelOptInfo *r = i < root->simple_rel_array_size ? root->simple_rel_array[i] : NULL;
    if (r == NULL || r->reloptkind != RELOPT_BASEREL || r->fdwroutine == NULL ||
        r->fdwroutine->GetForeignUpperPaths != upper_paths || r->fdw_private == NULL)
        return NULL;
    return r->fdw_private;
}

/* Note why on the fact tables among input_rel's members (on every member of ours when there
 * is no fact): their scans' EXPLAIN VERBOSE shows it. */
static void note_not_pushed(PlannerInfo *root, RelOptInfo *input_rel, const char *why)
{
    bool any_fact = false;
    int i = -1;
    while ((i = bms_next_member(input_rel->relids, i)) >= 0) {
        const struct cs_fdw_relinfo *b = our_base(root, i);
        if (b != NULL && b->table.partitioned) any_fact = true;
    }
    i = -1;
    while ((i = bms_next_member(input_rel->relids, i)) >= 0) {
        struct cs_fdw_relinfo *b = our_base(root, i);
        if (b == NULL || (any_fact && !b->table.partitioned)) continue;
        String *w = makeString(pstrdup(why));
        if (!list_member(b->not_pushed, w)) b->not_pushed = lappend(b->not_pushed, w);
    }
}

/* Why input_rel (a join, or a table with conditions left to PostgreSQL) is no star. */
static const char *star_why(PlannerInfo *root, RelOptInfo *input_rel)
{
    int i = -1;
    while ((i = bms_next_member(input_rel->relids, i)) >= 0) {
        const struct cs_fdw_relinfo *b = our_base(root, i);
        if (b != NULL && !b->pushable)
            return psprintf("a condition on %s is not evaluated by the engine (its Filter)",
                            planner_rt_fetch(i, root)->eref->aliasname);
    }
    return "the joins are not a star: the fact table joined with up to 8 dimensions, each on its "
           "one-column key (inner joins or left joins from the fact)";
}

/* Add expression e (a group key or an aggregate) to the scan tlist once, with its output. */
static bool add_output(struct grouping *g, Expr *e, Index sortgroupref, bool is_key)
{
    ListCell *lc;
    foreach (lc, g->tlist) {
        TargetEntry *te = lfirst_node(TargetEntry, lc);
        if (equal(te->expr, e)) {
            if (sortgroupref != 0 && te->ressortgroupref == 0) te->ressortgroupref = sortgroupref;
            return true;
        }
    }
    List *out = NIL;
    if (is_key) {
        int m, fn;
        const struct cs_fdw_col *c;
        if (!key_of(g, e, &m, &c, &fn)) return false;
        g->keys = lappend(g->keys, list_make4_int(m, c->ecol, fn, c->attno));
        out = list_make4_int(OUT_KEY, list_length(g->keys) - 1, m, fn);
    } else if (!IsA(e, Aggref) || !translate_agg(g, (Aggref *)e, &out)) {
        return false;
    }
    TargetEntry *te = makeTargetEntry(e, (AttrNumber)(list_length(g->tlist) + 1), NULL, false);
    te->ressortgroupref = sortgroupref;
    g->tlist = lappend(g->tlist, te);
    g->outputs = lappend(g->outputs, out);
    return true;
}

/* The aggregates (and the group keys' Vars) inside an expression computed above the scan. */
static bool add_inputs_of(struct grouping *g, Node *expr)
{
    List *vars = pull_var_clause(expr, PVC_INCLUDE_AGGREGATES);
    ListCell *lc;
    foreach (lc, vars) {
        Expr *v = lfirst(lc);
        if (IsA(v, Aggref)) {
            if (!add_output(g, v, 0, false)) {
                g->why = psprintf("%s: %s", expr_name(g->root, v), agg_why(g, (Aggref *)v));
                return false;
            }
        } else {
            /* a Var outside an aggregate must be a group key, already in the tlist */
            bool found = false;
            ListCell *t;
            foreach (t, g->tlist)
                if (equal(lfirst_node(TargetEntry, t)->expr, v)) found = true;
            if (!found) {
                g->why =
                    psprintf("%s outside an aggregate is not a group key", expr_name(g->root, v));
                return false;
            }
        }
    }
    return true;
}

static bool
build_grouping(PlannerInfo *root, struct grouping *g, GroupPathExtraData *extra, List **having)
{
    Query *parse = root->parse;
    PathTarget *target = root->upper_targets[UPPERREL_GROUP_AGG];
    /* group keys first, so that aggregates over them find them */
    int i = 0;
    ListCell *lc;
    foreach (lc, target->exprs) {
        Index ref = get_pathtarget_sortgroupref(target, i++);
        if (ref != 0 && get_sortgroupref_clause_noerr(ref, parse->groupClause) != NULL &&
            !add_output(g, lfirst(lc), ref, true)) {
            g->why = psprintf("GROUP BY %s: %s", expr_name(root, lfirst(lc)), key_why(lfirst(lc)));
            return false;
        }
    }
    i = 0;
    foreach (lc, target->exprs) {
        Index ref = get_pathtarget_sortgroupref(target, i++);
        if (ref != 0 && get_sortgroupref_clause_noerr(ref, parse->groupClause) != NULL) continue;
        if (!add_inputs_of(g, lfirst(lc))) return false;
    }
    /* HAVING is checked by PostgreSQL on the grouped rows: its inputs come from the scan */
    /* the planner keeps HAVING as an implicitly ANDed list */
    *having = (List *)extra->havingQual;
    return add_inputs_of(g, (Node *)*having);
}

static List *member_quals(const struct cs_fdw_relinfo *info)
{
    List *out = NIL;
    ListCell *lc;
    foreach (lc, info->pushed)
        out = lappend(out, lfirst_node(RestrictInfo, lc)->clause);
    return out;
}

static char *describe(PlannerInfo *root, const struct cs_fdw_relinfo *star)
{
    StringInfoData s;
    initStringInfo(&s);
    appendStringInfo(&s, "Aggregate on (");
    for (int m = 0; m <= star->njoins; m++) {
        const struct cs_fdw_relinfo *info = member_info(star, m);
        RangeTblEntry *rte = planner_rt_fetch(info->table.rel.relid, root);
        const char *alias = rte->eref != NULL ? rte->eref->aliasname : info->table.name;
        if (m > 0) appendStringInfoString(&s, star->joins[m - 1].left ? " LEFT JOIN " : " JOIN ");
        appendStringInfoString(&s, quote_identifier(get_rel_name(rte->relid)));
        if (strcmp(alias, get_rel_name(rte->relid)) != 0)
            appendStringInfo(&s, " %s", quote_identifier(alias));
    }
    appendStringInfoChar(&s, ')');
    return s.data;
}

static List *make_spec(PlannerInfo *root, const struct grouping *g)
{
    const struct cs_fdw_relinfo *star = g->star;
    List *oids = NIL, *varnos = NIL, *joins = NIL, *quals = NIL;
    for (int m = 0; m <= star->njoins; m++) {
        const struct cs_fdw_relinfo *info = member_info(star, m);
        oids = lappend_oid(oids, planner_rt_fetch(info->table.rel.relid, root)->relid);
        varnos = lappend_int(varnos, (int)info->table.rel.relid);
        quals = lappend(quals, member_quals(info));
        if (m > 0) {
            const struct cs_fdw_joininfo *j = &star->joins[m - 1];
            joins =
                lappend(joins, list_make3_int(star->fact->table.rel.cols[j->fact_attno - 1].ecol,
                                              j->dim->table.rel.cols[j->dim_attno - 1].ecol,
                                              j->left ? 1 : 0));
        }
    }
    List *spec =
        list_make5(makeInteger((int)star->fact->table.opts.serverid), oids, varnos, joins, quals);
    spec = lappend(spec, g->keys);
    spec = lappend(spec, g->aggs);
    spec = lappend(spec, g->outputs);
    spec = lappend(spec, makeString(describe(root, star)));
    return spec;
}

static void grouping_paths(PlannerInfo *root,
                           RelOptInfo *input_rel,
                           RelOptInfo *grouped_rel,
                           GroupPathExtraData *extra)
{
    struct cs_fdw_relinfo *in = input_rel->fdw_private;
    Query *parse = root->parse;
    if (grouped_rel->fdw_private != NULL || extra->patype != PARTITIONWISE_AGGREGATE_NONE ||
        (in != NULL && in->kind == CS_FDW_REL_GROUPED))
        return;
    if (in == NULL || !in->pushable) {
        note_not_pushed(root, input_rel, star_why(root, input_rel));
        return;
    }
    if (parse->groupingSets != NIL) {
        note_not_pushed(root, input_rel, "GROUPING SETS / ROLLUP / CUBE");
        return;
    }
    struct grouping g = {0};
    g.root = root;
    g.star = as_star(in);
    List *having = NIL;
    if (!build_grouping(root, &g, extra, &having)) {
        note_not_pushed(root, input_rel, g.why != NULL ? g.why : "the grouping");
        return;
    }
    if (list_length(g.keys) > 8 || list_length(g.aggs) > 24 ||
        list_length(g.keys) + list_length(g.aggs) > 32) {
        note_not_pushed(root, input_rel,
                        "more than 8 group keys or 24 engine aggregates (32 in all)");
        return;
    }
    struct cs_fdw_relinfo *info = palloc0(sizeof(*info));
    *info = *g.star;
    info->kind = CS_FDW_REL_GROUPED;
    info->scan_tlist = g.tlist;
    info->having = having;
    info->spec = make_spec(root, &g);
    grouped_rel->fdw_private = info;
    /* rows: PostgreSQL's estimate of the groups; cost: the engine reads the fact's rows once,
     * vectorized, and hands over only the groups */
    List *group_exprs = get_sortgrouplist_exprs(parse->groupClause, parse->targetList);
    double rows = group_exprs != NIL
                      ? estimate_num_groups(root, group_exprs, input_rel->rows, NULL, NULL)
                      : 1;
    const Cost startup = 1.0 + g.star->fact->scanned_rows * cpu_operator_cost * 0.05;
    const Cost total = startup + rows * cpu_tuple_cost;
    Path *path = (Path *)create_foreign_upper_path(root, grouped_rel, grouped_rel->reltarget, rows,
                                                   startup, total, NIL, NULL, NIL);
    add_path(grouped_rel, path);
}

/* ---- ORDER BY and LIMIT of the grouped rows ---- */

static Expr *strip_relabel(Expr *e)
{
    while (IsA(e, RelabelType))
        e = ((RelabelType *)e)->arg;
    return e;
}

/* The engine output that sorts as pathkey pk orders, or -1. */
static int order_output(const struct cs_fdw_relinfo *info, PathKey *pk)
{
    EquivalenceClass *ec = pk->pk_eclass;
    if (ec->ec_has_volatile) return -1;
    const int nkeys = list_length(list_nth(info->spec, 5));
    List *outputs = list_nth(info->spec, 7);
    ListCell *m;
    foreach (m, ec->ec_members) {
        Expr *em = strip_relabel(((EquivalenceMember *)lfirst(m))->em_expr);
        int i = 0;
        ListCell *t;
        foreach (t, info->scan_tlist) {
            TargetEntry *te = lfirst_node(TargetEntry, t);
            List *out = list_nth(outputs, i++);
            if (!equal(strip_relabel(te->expr), em)) continue;
            const Oid type = exprType((Node *)te->expr);
            /* the engine orders as the type's default btree class, text under "C" only, and
             * cannot order jsonb / text[] (it compares their text) nor an average */
            if (get_opclass_family(GetDefaultOpClass(type, BTREE_AM_OID)) != pk->pk_opfamily)
                return -1;
            if ((type == TEXTOID && !lc_collate_is_c(ec->ec_collation)) || type == JSONBOID ||
                type == TEXTARRAYOID || linitial_int(out) == OUT_AVG)
                return -1;
            return linitial_int(out) == OUT_KEY ? lsecond_int(out) : nkeys + lsecond_int(out);
        }
    }
    return -1;
}

/* The pushed-down path of an upper relation (the stages run before its cheapest is chosen). */
static Path *our_path(RelOptInfo *rel)
{
    ListCell *lc;
    foreach (lc, rel->pathlist)
        if (IsA(lfirst(lc), ForeignPath)) return lfirst(lc);
    return NULL;
}

static struct cs_fdw_relinfo *copy_info(const struct cs_fdw_relinfo *in)
{
    struct cs_fdw_relinfo *out = palloc0(sizeof(*out));
    *out = *in;
    out->spec = list_copy(in->spec);
    return out;
}

static void ordered_paths(PlannerInfo *root, RelOptInfo *input_rel, RelOptInfo *ordered_rel)
{
    const struct cs_fdw_relinfo *in = input_rel->fdw_private;
    if (in == NULL || in->kind != CS_FDW_REL_GROUPED || root->sort_pathkeys == NIL ||
        root->parse->hasTargetSRFs || ordered_rel->fdw_private != NULL)
        return;
    List *order = NIL;
    ListCell *lc;
    foreach (lc, root->sort_pathkeys) {
        PathKey *pk = lfirst(lc);
        const int out = order_output(in, pk);
        if (out < 0) return;
        order = lappend(order, list_make3_int(out, pk->pk_strategy == BTGreaterStrategyNumber,
                                              pk->pk_nulls_first));
    }
    Path *best = our_path(input_rel);
    if (best == NULL) return;
    struct cs_fdw_relinfo *info = copy_info(in);
    info->spec = lappend(info->spec, order);
    ordered_rel->fdw_private = info;
    Path *path = (Path *)create_foreign_upper_path(
        root, ordered_rel, root->upper_targets[UPPERREL_ORDERED], best->rows, best->startup_cost,
        best->total_cost, root->sort_pathkeys, NULL, NIL);
    add_path(ordered_rel, path);
}

static bool const_int8(Node *n, int64 *v)
{
    if (n == NULL) {
        *v = 0;
        return true;
    }
    if (!IsA(n, Const) || ((Const *)n)->consttype != INT8OID) return false;
    *v = ((Const *)n)->constisnull ? -1 : DatumGetInt64(((Const *)n)->constvalue);
    return true;
}

static void final_paths(PlannerInfo *root,
                        RelOptInfo *input_rel,
                        RelOptInfo *final_rel,
                        FinalPathExtraData *extra)
{
    const struct cs_fdw_relinfo *in = input_rel->fdw_private;
    Query *parse = root->parse;
    if (in == NULL || in->kind != CS_FDW_REL_GROUPED || !extra->limit_needed ||
        parse->rowMarks != NIL || parse->limitOption == LIMIT_OPTION_WITH_TIES ||
        final_rel->fdw_private != NULL)
        return;
    int64 count, offset;
    if (!const_int8(parse->limitCount, &count) || !const_int8(parse->limitOffset, &offset) ||
        offset < 0)
        return;
    const bool ordered = list_length(in->spec) > 9;
    if (root->sort_pathkeys != NIL && !ordered) return; /* the order is PostgreSQL's to make */
    Path *best = our_path(input_rel);
    if (best == NULL) return;
    struct cs_fdw_relinfo *info = copy_info(in);
    if (!ordered) info->spec = lappend(info->spec, NIL);
    /* the engine keeps offset + count rows; the scan skips the first offset */
    info->spec =
        lappend(info->spec, makeString(psprintf(INT64_FORMAT, count < 0 ? -1 : count + offset)));
    info->spec = lappend(info->spec, makeString(psprintf(INT64_FORMAT, offset)));
    final_rel->fdw_private = info;
    const double rows = count >= 0 && count < best->rows ? (double)count : best->rows;
    /* cheaper than a Limit over the same path: the engine hands over only these rows */
    const Cost total =
        best->startup_cost + (best->total_cost - best->startup_cost) * rows / Max(best->rows, 1.0);
    Path *path = (Path *)create_foreign_upper_path(
        root, final_rel, root->upper_targets[UPPERREL_FINAL], rows, best->startup_cost, total,
        ordered ? root->sort_pathkeys : NIL, NULL, NIL);
    add_path(final_rel, path);
}

static void upper_paths(PlannerInfo *root,
                        UpperRelationKind stage,
                        RelOptInfo *input_rel,
                        RelOptInfo *output_rel,
                        void *extra)
{
    if (!cs_fdw_pushdown) {
        if (stage == UPPERREL_GROUP_AGG)
            note_not_pushed(root, input_rel, "colstore_fdw.pushdown is off");
        return;
    }
    switch (stage) {
    case UPPERREL_GROUP_AGG:
        grouping_paths(root, input_rel, output_rel, extra);
        break;
    case UPPERREL_ORDERED:
        ordered_paths(root, input_rel, output_rel);
        break;
    case UPPERREL_FINAL:
        final_paths(root, input_rel, output_rel, extra);
        break;
    default:
        break;
    }
}

ForeignScan *cs_fdw_push_plan(
    PlannerInfo *root, RelOptInfo *rel, ForeignPath *path, List *tlist, Plan *outer_plan)
{
    (void)root;
    (void)path;
    const struct cs_fdw_relinfo *info = rel->fdw_private;
    if (info == NULL || info->kind != CS_FDW_REL_GROUPED)
        elog(ERROR, "colstore_fdw: no plan for a relation that is not a pushed grouping");
    return make_foreignscan(tlist, info->having, 0, NIL, info->spec, info->scan_tlist, NIL,
                            outer_plan);
}

void cs_fdw_push_routines(FdwRoutine *r)
{
    r->GetForeignJoinPaths = join_paths;
    r->GetForeignUpperPaths = upper_paths;
}
