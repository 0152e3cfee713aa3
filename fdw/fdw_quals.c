/*
 * Which WHERE conditions the engine evaluates, and their translation into the engine's
 * predicate tree.
 *
 * A condition is pushed when every part of it is one of: a comparison (= <> < <= > >=) of a
 * column with a value that is constant during the scan (a literal, a parameter, a stable
 * expression without the table's columns), `col = ANY (array)` / `col <> ALL (array)` (IN and
 * NOT IN lists), IS [NOT] NULL, a boolean column, IS [NOT] TRUE / FALSE / UNKNOWN, and AND / OR
 * / NOT of those. Comparisons are pushed for integer, numeric, date, timestamptz, boolean and
 * text columns (ordering of text only under the C collation, which is the engine's bytewise
 * order); jsonb and text[] columns take IS [NOT] NULL only. The engine evaluates with SQL's
 * three-valued logic and returns the rows where the condition is TRUE, so a pushed condition
 * is removed from PostgreSQL's own filter.
 *
 * Planning (cs_fdw_qual_pushable) and execution (cs_fdw_qual_build) walk the same expression;
 * execution evaluates the constant sides once per scan and converts them exactly into the
 * column's stored unit (numeric scaled to the column's scale, dates and timestamps from
 * PostgreSQL's epoch to 1970's). A constant that has no exact stored equivalent (1.5 against
 * an integer, a numeric with more digits than int64, infinity) becomes the comparison with the
 * same answer on every stored value (x < 1.5 → x <= 1; x = 1.5 → a comparison no value passes).
 */
#include "fdw/fdw.h"

#include "catalog/pg_am.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/pg_locale.h"
#include "utils/timestamp.h"

/* Days and microseconds from 1970-01-01 (the engine's epoch) to 2000-01-01 (PostgreSQL's). */
#define CS_FDW_EPOCH_DAYS 10957
#define CS_FDW_EPOCH_US   INT64CONST(946684800000000)

/* The column of a condition: a Var of the scanned relation, under binary coercions, or an
 * integer column under its cast to numeric (`x = 1.5` on an integer x), when *as_numeric is
 * set. */
static const struct cs_fdw_col *
column_of_cast(Expr *e, const struct cs_fdw_rel *rel, bool *as_numeric)
{
    *as_numeric = false;
    while (IsA(e, RelabelType))
        e = ((RelabelType *)e)->arg;
    if (IsA(e, FuncExpr) && list_length(((FuncExpr *)e)->args) == 1) {
        const Oid f = ((FuncExpr *)e)->funcid;
        if (f == F_NUMERIC_INT2 || f == F_NUMERIC_INT4 || f == F_NUMERIC_INT8) {
            *as_numeric = true;
            e = linitial(((FuncExpr *)e)->args);
        }
    }
    if (!IsA(e, Var)) return NULL;
    Var *v = (Var *)e;
    if (v->varno != (int)rel->relid || v->varlevelsup != 0 || v->varattno <= 0 ||
        v->varattno > rel->natts)
        return NULL;
    const struct cs_fdw_col *c = &rel->cols[v->varattno - 1];
    if (c->ecol < 0 || (*as_numeric && c->kind != CS_FDW_V_INT)) return NULL;
    return c;
}

static const struct cs_fdw_col *column_of(Expr *e, const struct cs_fdw_rel *rel)
{
    bool as_numeric;
    const struct cs_fdw_col *c = column_of_cast(e, rel, &as_numeric);
    return as_numeric ? NULL : c;
}

/* A value that stays the same for the whole scan: no column of any table, nothing volatile. */
static bool is_scan_constant(Expr *e)
{
    return !contain_var_clause((Node *)e) && !contain_volatile_functions((Node *)e) &&
           !contain_subplans((Node *)e);
}

static bool value_type_fits(const struct cs_fdw_col *c, bool as_numeric, Oid t)
{
    if (as_numeric) return t == NUMERICOID;
    switch (c->kind) {
    case CS_FDW_V_INT:
        return t == INT2OID || t == INT4OID || t == INT8OID;
    case CS_FDW_V_NUMERIC:
        return t == NUMERICOID;
    case CS_FDW_V_DATE:
        return t == DATEOID;
    case CS_FDW_V_TIMESTAMPTZ:
        return t == TIMESTAMPTZOID;
    case CS_FDW_V_BOOL:
        return t == BOOLOID;
    case CS_FDW_V_TEXT:
    case CS_FDW_V_HASH:
        return t == TEXTOID;
    default:
        return false; /* jsonb, text[]: IS NULL only */
    }
}

/* The comparison an operator performs on (column, value), or -1. Text ordering needs the C
 * collation (the engine compares bytes); equality any deterministic collation. */
static int cmp_of(Oid opno, Oid collid, const struct cs_fdw_col *c, bool as_numeric)
{
    Oid family =
        get_opclass_family(GetDefaultOpClass(as_numeric ? NUMERICOID : c->pgtype, BTREE_AM_OID));
    int cmp = -1;
    int strategy = OidIsValid(family) ? get_op_opfamily_strategy(opno, family) : 0;
    if (strategy == 0) {
        Oid neg = get_negator(opno);
        if (OidIsValid(neg) && OidIsValid(family) &&
            get_op_opfamily_strategy(neg, family) == BTEqualStrategyNumber)
            cmp = CS_FDW_NE;
    } else {
        static const int by_strategy[] = {-1,        CS_FDW_LT, CS_FDW_LE,
                                          CS_FDW_EQ, CS_FDW_GE, CS_FDW_GT};
        cmp = by_strategy[strategy];
    }
    if (cmp < 0) return -1;
    if (c->kind == CS_FDW_V_TEXT || c->kind == CS_FDW_V_HASH) {
        if (!OidIsValid(collid)) return -1;
        bool ordering = cmp != CS_FDW_EQ && cmp != CS_FDW_NE;
        if (ordering ? !lc_collate_is_c(collid) : !get_collation_isdeterministic(collid)) return -1;
    }
    return cmp;
}

static int commute(int cmp)
{
    switch (cmp) {
    case CS_FDW_LT:
        return CS_FDW_GT;
    case CS_FDW_LE:
        return CS_FDW_GE;
    case CS_FDW_GT:
        return CS_FDW_LT;
    case CS_FDW_GE:
        return CS_FDW_LE;
    default:
        return cmp;
    }
}

static struct cs_fdw_qnode *qnode(int kind)
{
    struct cs_fdw_qnode *q = palloc0(sizeof(*q));
    q->kind = kind;
    return q;
}

static struct cs_fdw_qnode *qlogic(int kind, struct cs_fdw_qnode *a, struct cs_fdw_qnode *b)
{
    struct cs_fdw_qnode *q = qnode(kind);
    q->args = list_make1(a);
    if (b != NULL) q->args = lappend(q->args, b);
    return q;
}

static struct cs_fdw_qnode *qcol(int kind, const struct cs_fdw_col *c)
{
    struct cs_fdw_qnode *q = qnode(kind);
    q->col = c;
    return q;
}

static struct cs_fdw_qnode *analyze(Expr *e, const struct cs_fdw_rel *rel);

static struct cs_fdw_qnode *analyze_op(OpExpr *op, const struct cs_fdw_rel *rel)
{
    if (list_length(op->args) != 2) return NULL;
    Expr *l = linitial(op->args), *r = lsecond(op->args);
    bool as_numeric;
    const struct cs_fdw_col *c = column_of_cast(l, rel, &as_numeric);
    Expr *value = r;
    bool swapped = false;
    if (c == NULL) {
        c = column_of_cast(r, rel, &as_numeric);
        value = l;
        swapped = true;
    }
    if (c == NULL || !is_scan_constant(value) ||
        !value_type_fits(c, as_numeric, exprType((Node *)value)))
        return NULL;
    int cmp = cmp_of(op->opno, op->inputcollid, c, as_numeric);
    if (cmp < 0) return NULL;
    struct cs_fdw_qnode *q = qcol(CS_FDW_Q_CMP, c);
    q->cmp = swapped ? commute(cmp) : cmp;
    q->value = value;
    return q;
}

static struct cs_fdw_qnode *analyze_array(ScalarArrayOpExpr *op, const struct cs_fdw_rel *rel)
{
    if (list_length(op->args) != 2) return NULL;
    bool as_numeric;
    const struct cs_fdw_col *c = column_of_cast(linitial(op->args), rel, &as_numeric);
    Expr *array = lsecond(op->args);
    if (c == NULL || !is_scan_constant(array)) return NULL;
    Oid elem = get_element_type(exprType((Node *)array));
    if (!OidIsValid(elem) || !value_type_fits(c, as_numeric, elem)) return NULL;
    int cmp = cmp_of(op->opno, op->inputcollid, c, as_numeric);
    /* col = ANY (a) is IN; col <> ALL (a) is NOT (col = ANY (a)), also under 3VL. */
    if (!((op->useOr && cmp == CS_FDW_EQ) || (!op->useOr && cmp == CS_FDW_NE))) return NULL;
    struct cs_fdw_qnode *q = qcol(CS_FDW_Q_IN, c);
    q->value = array;
    return op->useOr ? q : qlogic(CS_FDW_Q_NOT, q, NULL);
}

/* IS [NOT] TRUE / FALSE / UNKNOWN are two-valued: NULL gives false or true, never unknown. */
static struct cs_fdw_qnode *analyze_booltest(BooleanTest *bt, const struct cs_fdw_rel *rel)
{
    const struct cs_fdw_col *c = column_of(bt->arg, rel);
    if (c == NULL || c->kind != CS_FDW_V_BOOL) return NULL;
    struct cs_fdw_qnode *known = qlogic(CS_FDW_Q_NOT, qcol(CS_FDW_Q_IS_NULL, c), NULL);
    struct cs_fdw_qnode *v = qcol(CS_FDW_Q_BOOL, c);
    switch (bt->booltesttype) {
    case IS_TRUE:
        return qlogic(CS_FDW_Q_AND, known, v);
    case IS_NOT_TRUE:
        return qlogic(CS_FDW_Q_NOT, qlogic(CS_FDW_Q_AND, known, v), NULL);
    case IS_FALSE:
        return qlogic(CS_FDW_Q_AND, known, qlogic(CS_FDW_Q_NOT, v, NULL));
    case IS_NOT_FALSE:
        return qlogic(CS_FDW_Q_NOT, qlogic(CS_FDW_Q_AND, known, qlogic(CS_FDW_Q_NOT, v, NULL)),
                      NULL);
    case IS_UNKNOWN:
        return qcol(CS_FDW_Q_IS_NULL, c);
    case IS_NOT_UNKNOWN:
        return known;
    }
    return NULL;
}

static struct cs_fdw_qnode *analyze_bool(BoolExpr *b, const struct cs_fdw_rel *rel)
{
    int kind = b->boolop == AND_EXPR  ? CS_FDW_Q_AND
               : b->boolop == OR_EXPR ? CS_FDW_Q_OR
                                      : CS_FDW_Q_NOT;
    struct cs_fdw_qnode *q = qnode(kind);
    ListCell *lc;
    foreach (lc, b->args) {
        struct cs_fdw_qnode *a = analyze(lfirst(lc), rel);
        if (a == NULL) return NULL;
        q->args = lappend(q->args, a);
    }
    return q;
}

static struct cs_fdw_qnode *analyze(Expr *e, const struct cs_fdw_rel *rel)
{
    switch (nodeTag(e)) {
    case T_OpExpr:
        return analyze_op((OpExpr *)e, rel);
    case T_ScalarArrayOpExpr:
        return analyze_array((ScalarArrayOpExpr *)e, rel);
    case T_BoolExpr:
        return analyze_bool((BoolExpr *)e, rel);
    case T_BooleanTest:
        return analyze_booltest((BooleanTest *)e, rel);
    case T_NullTest: {
        NullTest *nt = (NullTest *)e;
        const struct cs_fdw_col *c = nt->argisrow ? NULL : column_of(nt->arg, rel);
        if (c == NULL) return NULL;
        struct cs_fdw_qnode *q = qcol(CS_FDW_Q_IS_NULL, c);
        return nt->nulltesttype == IS_NULL ? q : qlogic(CS_FDW_Q_NOT, q, NULL);
    }
    case T_Const: {
        Const *k = (Const *)e;
        if (k->consttype != BOOLOID) return NULL;
        struct cs_fdw_qnode *q = qnode(CS_FDW_Q_CONST);
        q->truth = k->constisnull                ? CS_FDW_UNKNOWN
                   : DatumGetBool(k->constvalue) ? CS_FDW_TRUE
                                                 : CS_FDW_FALSE;
        return q;
    }
    default: {
        const struct cs_fdw_col *c = column_of(e, rel);
        return c != NULL && c->kind == CS_FDW_V_BOOL ? qcol(CS_FDW_Q_BOOL, c) : NULL;
    }
    }
}

struct cs_fdw_qnode *cs_fdw_qual_analyze(Expr *clause, const struct cs_fdw_rel *rel)
{
    return analyze(clause, rel);
}

/* ---- time_key bounds (planning estimates and partition pruning) ---- */

static bool const_int(Expr *e, int64 *v)
{
    if (!IsA(e, Const) || ((Const *)e)->constisnull) return false;
    Const *k = (Const *)e;
    switch (k->consttype) {
    case INT2OID:
        *v = DatumGetInt16(k->constvalue);
        return true;
    case INT4OID:
        *v = DatumGetInt32(k->constvalue);
        return true;
    case INT8OID:
        *v = DatumGetInt64(k->constvalue);
        return true;
    default:
        return false;
    }
}

void cs_fdw_qual_time_bounds(const struct cs_fdw_qnode *q,
                             AttrNumber time_attno,
                             int64 *lo,
                             int64 *hi)
{
    if (q->kind == CS_FDW_Q_AND) {
        ListCell *lc;
        foreach (lc, q->args)
            cs_fdw_qual_time_bounds(lfirst(lc), time_attno, lo, hi);
        return;
    }
    int64 v;
    if (q->kind != CS_FDW_Q_CMP || q->col->attno != time_attno || !const_int(q->value, &v)) return;
    switch (q->cmp) {
    case CS_FDW_EQ:
        *lo = Max(*lo, v);
        *hi = Min(*hi, v);
        break;
    case CS_FDW_LT:
        *hi = Min(*hi, v - 1);
        break;
    case CS_FDW_LE:
        *hi = Min(*hi, v);
        break;
    case CS_FDW_GT:
        *lo = Max(*lo, v + 1);
        break;
    case CS_FDW_GE:
        *lo = Max(*lo, v);
        break;
    default:
        break;
    }
}

/* ---- constants into stored units ---- */

/* A comparison of every stored integer x with a value beyond int64: `x <= INT64_MAX` passes
 * every non-NULL value, `x < INT64_MIN` none; both stay UNKNOWN on NULL, as the original. */
static void all_or_none(bool all, int *cmp, int64 *k)
{
    *cmp = all ? CS_FDW_LE : CS_FDW_LT;
    *k = all ? PG_INT64_MAX : PG_INT64_MIN;
}

/* x <cmp> v, where v is beyond every int64 (above when `above`), in int64 terms. */
static void beyond(bool above, int *cmp, int64 *k)
{
    switch (*cmp) {
    case CS_FDW_EQ:
        all_or_none(false, cmp, k);
        break;
    case CS_FDW_NE:
        all_or_none(true, cmp, k);
        break;
    case CS_FDW_LT:
    case CS_FDW_LE:
        all_or_none(above, cmp, k);
        break;
    default:
        all_or_none(!above, cmp, k);
        break;
    }
}

/* x <cmp> v for a rational v = floor + frac (0 <= frac < 1, `exact` when frac == 0), floor
 * within int64: the same comparison on integers. */
static void integral(int64 floor_v, bool exact, int *cmp, int64 *k)
{
    *k = floor_v;
    if (exact) return;
    switch (*cmp) {
    case CS_FDW_EQ:
        all_or_none(false, cmp, k);
        break;
    case CS_FDW_NE:
        all_or_none(true, cmp, k);
        break;
    case CS_FDW_LT: /* x < f + frac  <=>  x <= f */
        *cmp = CS_FDW_LE;
        break;
    case CS_FDW_GE: /* x >= f + frac  <=>  x > f */
        *cmp = CS_FDW_GT;
        break;
    default: /* LE, GT: x <= f + frac <=> x <= f; x > f + frac <=> x > f */
        break;
    }
}

/* A numeric value scaled by 10^scale as floor + whether exact, from its decimal text. False
 * when the floor is beyond int64 (*above then tells which side). */
static bool numeric_scaled(Datum num, int scale, int64 *floor_v, bool *exact, bool *above)
{
    char *s = DatumGetCString(DirectFunctionCall1(numeric_out, num));
    if (strcmp(s, "NaN") == 0 || strcmp(s, "Infinity") == 0 || strcmp(s, "-Infinity") == 0) {
        *above = s[0] != '-'; /* NaN sorts above every number in PostgreSQL */
        pfree(s);
        return false;
    }
    const bool neg = s[0] == '-';
    const char *p = neg ? s + 1 : s;
    const char *dot = strchr(p, '.');
    const size_t int_len = dot != NULL ? (size_t)(dot - p) : strlen(p);
    const char *frac = dot != NULL ? dot + 1 : "";
    const size_t frac_len = strlen(frac);
    /* |v| * 10^scale, truncated: the integer digits, then `scale` fraction digits */
    uint64 mag = 0;
    bool overflow = false, frac_rest = false;
    for (size_t i = 0; i < int_len + (size_t)scale && !overflow; i++) {
        const char d = i < int_len ? p[i] : (i - int_len < frac_len ? frac[i - int_len] : '0');
        if (mag > (PG_UINT64_MAX - 9) / 10)
            overflow = true;
        else
            mag = mag * 10 + (uint64)(d - '0');
    }
    for (size_t i = (size_t)scale; i < frac_len; i++)
        if (frac[i] != '0') frac_rest = true;
    pfree(s);
    *exact = !frac_rest;
    *above = !neg;
    /* floor of a negative value with a dropped fraction is one further from zero */
    const uint64 limit =
        neg ? (uint64)PG_INT64_MAX + 1 - (frac_rest ? 1 : 0) : (uint64)PG_INT64_MAX;
    if (overflow || mag > limit) return false;
    if (!neg)
        *floor_v = (int64)mag;
    else if (mag + (frac_rest ? 1 : 0) == (uint64)PG_INT64_MAX + 1)
        *floor_v = PG_INT64_MIN;
    else
        *floor_v = -(int64)mag - (frac_rest ? 1 : 0);
    return true;
}

static void scaled_cmp(Datum num, int scale, int *cmp, int64 *k)
{
    int64 f;
    bool exact, above;
    if (numeric_scaled(num, scale, &f, &exact, &above))
        integral(f, exact, cmp, k);
    else
        beyond(above, cmp, k);
}

/* The value of `d` (of type `type`) for column c: *cmp and *k in stored units. */
void cs_fdw_value_i64(const struct cs_fdw_col *c, Datum d, Oid type, int *cmp, int64 *k)
{
    switch (c->kind) {
    case CS_FDW_V_INT:
        if (type == NUMERICOID) { /* an integer column compared as numeric */
            scaled_cmp(d, 0, cmp, k);
            return;
        }
        *k = type == INT2OID   ? DatumGetInt16(d)
             : type == INT4OID ? DatumGetInt32(d)
                               : DatumGetInt64(d);
        return;
    case CS_FDW_V_BOOL:
        *k = DatumGetBool(d) ? 1 : 0;
        return;
    case CS_FDW_V_NUMERIC:
        scaled_cmp(d, c->scale, cmp, k);
        return;
    case CS_FDW_V_DATE: {
        DateADT v = DatumGetDateADT(d);
        if (DATE_NOT_FINITE(v))
            beyond(DATE_IS_NOEND(v), cmp, k);
        else
            *k = (int64)v + CS_FDW_EPOCH_DAYS;
        return;
    }
    case CS_FDW_V_TIMESTAMPTZ: {
        TimestampTz v = DatumGetTimestampTz(d);
        if (TIMESTAMP_NOT_FINITE(v) || pg_add_s64_overflow(v, CS_FDW_EPOCH_US, k))
            beyond(v > 0, cmp, k);
        return;
    }
    default:
        elog(ERROR, "colstore_fdw: no integer value for this column");
    }
}
