/*
 * colstore_query(): the public star-query spec checked and translated into the executor's plan
 * (query/plan.h): public column indexes into schema columns, predicates compiled into the scan
 * operator's, then run on the snapshot.
 */
#include "engine/engine.h"
#include "engine/scan_api.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "query/plan.h"

/* The first version of colstore_query_spec ended with `cancel`. */
#define QUERY_SPEC_V1_SIZE (offsetof(colstore_query_spec, cancel) + sizeof(const volatile int *))

struct compiled {
    struct cs_plan plan;
    struct cs_engine_table rels[CS_PLAN_MAX_JOINS + 1];
    struct cs_scan_pred *preds[1 + CS_PLAN_MAX_JOINS + CS_PLAN_MAX_AGGS];
    size_t npreds;
};

static void free_compiled(struct compiled *c)
{
    for (size_t i = 0; i < c->npreds; i++)
        cs_scan_pred_free(c->preds[i]);
}

static int pred(struct compiled *c,
                size_t rel,
                const colstore_pred *p,
                const struct cs_scan_pred **out,
                struct cs_error *e)
{
    *out = NULL;
    if (p == NULL) return CS_OK;
    struct cs_scan_pred *sp = NULL;
    const int rc = cs_engine_pred_compile(&c->rels[rel], p, &sp, e);
    if (rc != CS_OK) return rc;
    c->preds[c->npreds++] = sp;
    *out = sp;
    return CS_OK;
}

static int ref(const struct compiled *c,
               size_t nrels,
               colstore_colref r,
               const char *what,
               struct cs_plan_ref *out,
               struct cs_error *e)
{
    if (r.rel >= nrels || r.column >= c->rels[r.rel].ncols)
        return cs_error_set(e, CS_EINVAL, "query: %s names no column (rel %zu, column %zu)", what,
                            r.rel, r.column);
    out->rel = (int)r.rel;
    out->col = c->rels[r.rel].col[r.column];
    return CS_OK;
}

static int compile_joins(struct compiled *c, const colstore_query_spec *s, struct cs_error *e)
{
    if (s->njoins > CS_PLAN_MAX_JOINS || (s->njoins > 0 && s->joins == NULL))
        return cs_error_set(e, CS_EINVAL, "query: %zu joins (at most %d)", s->njoins,
                            CS_PLAN_MAX_JOINS);
    for (size_t j = 0; j < s->njoins; j++) {
        const colstore_join *jn = &s->joins[j];
        struct cs_error err;
        if (jn->table == NULL || cs_engine_table(jn->table, &c->rels[j + 1], &err) != CS_OK)
            return cs_error_set(e, CS_EINVAL, "query: join %zu: unknown table \"%s\"", j,
                                jn->table != NULL ? jn->table : "(null)");
        if (jn->column >= c->rels[0].ncols || jn->dim_column >= c->rels[j + 1].ncols)
            return cs_error_set(e, CS_EINVAL, "query: join %zu names no column", j);
        struct cs_plan_join *pj = &c->plan.joins[j];
        pj->dim = c->rels[j + 1].def;
        pj->fact_col = c->rels[0].col[jn->column];
        pj->dim_col = c->rels[j + 1].col[jn->dim_column];
        pj->left = jn->left;
        const int rc = pred(c, j + 1, jn->where, &pj->where, e);
        if (rc != CS_OK) return rc;
    }
    c->plan.njoins = s->njoins;
    return CS_OK;
}

static int compile_outputs(struct compiled *c, const colstore_query_spec *s, struct cs_error *e)
{
    const size_t nrels = s->njoins + 1;
    if (s->ngroup_by > CS_PLAN_MAX_KEYS || s->naggregates > CS_PLAN_MAX_AGGS ||
        (s->ngroup_by > 0 && s->group_by == NULL) || (s->naggregates > 0 && s->aggregates == NULL))
        return cs_error_set(e, CS_EINVAL,
                            "query: %zu group keys and %zu aggregates (at most %d, %d)",
                            s->ngroup_by, s->naggregates, CS_PLAN_MAX_KEYS, CS_PLAN_MAX_AGGS);
    int rc = CS_OK;
    for (size_t k = 0; k < s->ngroup_by && rc == CS_OK; k++) {
        c->plan.keys[k].fn = s->group_by[k].fn;
        rc = ref(c, nrels, s->group_by[k].col, "a group key", &c->plan.keys[k].ref, e);
    }
    c->plan.nkeys = s->ngroup_by;
    for (size_t a = 0; a < s->naggregates && rc == CS_OK; a++) {
        const colstore_aggregate *ag = &s->aggregates[a];
        struct cs_plan_agg *pa = &c->plan.aggs[a];
        if (ag->kind < COLSTORE_AGG_COUNT_ROWS || ag->kind > COLSTORE_AGG_PERCENTILE)
            return cs_error_set(e, CS_EINVAL, "query: aggregate %zu: unknown kind %d", a, ag->kind);
        if (ag->kind == COLSTORE_AGG_PERCENTILE && !(ag->fraction >= 0 && ag->fraction <= 1))
            return cs_error_set(e, CS_EINVAL, "query: percentile fraction %g is not in 0..1",
                                ag->fraction);
        pa->kind = ag->kind;
        pa->fraction = ag->fraction;
        if (ag->kind != COLSTORE_AGG_COUNT_ROWS)
            rc = ref(c, nrels, ag->col, "an aggregate", &pa->ref, e);
        if (rc == CS_OK) rc = pred(c, 0, ag->filter, &pa->filter, e);
    }
    c->plan.naggs = s->naggregates;
    if (s->norder_by > s->ngroup_by + s->naggregates || (s->norder_by > 0 && s->order_by == NULL))
        return cs_error_set(e, CS_EINVAL, "query: %zu ORDER BY keys for %zu outputs", s->norder_by,
                            s->ngroup_by + s->naggregates);
    for (size_t o = 0; o < s->norder_by && rc == CS_OK; o++) {
        if (s->order_by[o].output >= s->ngroup_by + s->naggregates)
            return cs_error_set(e, CS_EINVAL, "query: ORDER BY output %zu of %zu",
                                s->order_by[o].output, s->ngroup_by + s->naggregates);
        c->plan.order[o] = (struct cs_plan_order){(int)s->order_by[o].output, s->order_by[o].desc,
                                                  s->order_by[o].nulls_first};
    }
    c->plan.norder = s->norder_by;
    return rc;
}

static int compile_spec(struct compiled *c, const colstore_query_spec *s, struct cs_error *e)
{
    struct cs_error err;
    if (s->table == NULL || cs_engine_table(s->table, &c->rels[0], &err) != CS_OK)
        return cs_error_set(e, CS_EINVAL, "query: unknown table \"%s\"",
                            s->table != NULL ? s->table : "(null)");
    c->plan.fact = c->rels[0].def;
    c->plan.tk_min = s->time_key_min;
    c->plan.tk_max = s->time_key_max;
    c->plan.limit = s->limit;
    c->plan.threads = s->threads;
    c->plan.max_groups = s->max_groups;
    c->plan.general = s->general;
    int rc = pred(c, 0, s->where, &c->plan.where, e);
    if (rc == CS_OK) rc = compile_joins(c, s, e);
    if (rc == CS_OK) rc = compile_outputs(c, s, e);
    if (rc == CS_OK) rc = cs_plan_check(&c->plan, e);
    return rc;
}

static void set_stats(colstore_query_stats *out, const struct cs_plan_stats *st)
{
    colstore_query_stats s = COLSTORE_QUERY_STATS_INIT;
    s.partitions_total = st->parts_total;
    s.partitions_read = st->parts_read;
    s.partitions_pruned = st->parts_pruned;
    s.rows_scanned = st->rows_scanned;
    s.rows_passed = st->rows_passed;
    s.rows_joined = st->rows_joined;
    s.groups = st->groups;
    s.workers = st->workers;
    s.kernel = st->kernel;
    const size_t n = out->size < sizeof(s) ? out->size : sizeof(s);
    memcpy((char *)out + sizeof(size_t), (const char *)&s + sizeof(size_t), n - sizeof(size_t));
}

int colstore_query(colstore_snapshot *snap,
                   const colstore_query_spec *spec,
                   colstore_result **out,
                   colstore_query_stats *stats,
                   colstore_error *err)
{
    struct cs_error e = {0};
    int rc = CS_OK;
    struct compiled *c = NULL;
    struct cs_result *r = NULL;
    if (out != NULL) *out = NULL;
    if (snap == NULL || spec == NULL || out == NULL) {
        rc = cs_error_set(&e, CS_EINVAL, "query: snapshot, spec and out are required");
        goto done;
    }
    if (stats != NULL && stats->size < sizeof(size_t)) {
        rc = cs_error_set(&e, CS_EINVAL, "query: stats.size is not set");
        goto done;
    }
    colstore_query_spec s = COLSTORE_QUERY_SPEC_INIT;
    rc = cs_engine_read_options(&s, sizeof(s), spec, QUERY_SPEC_V1_SIZE, "colstore_query_spec", &e);
    if (rc != CS_OK) goto done;
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        rc = cs_error_set(&e, CS_ENOMEM, "out of memory");
        goto done;
    }
    rc = compile_spec(c, &s, &e);
    if (rc != CS_OK) goto done;
    struct cs_plan_stats st;
    rc = cs_plan_run(snap->snap, &c->plan, s.cancel, &r, &st, &e);
    if (rc != CS_OK) goto done;
    *out = cs_engine_result_wrap(r);
    if (*out == NULL) {
        rc = cs_error_set(&e, CS_ENOMEM, "out of memory");
        goto done;
    }
    r = NULL;
    if (stats != NULL) set_stats(stats, &st);
done:
    cs_result_free(r);
    if (c != NULL) free_compiled(c);
    free(c);
    return cs_engine_return(err, rc, &e);
}
