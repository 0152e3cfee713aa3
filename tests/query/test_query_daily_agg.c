/* cs_daily_agg_compute() on hand-built batches: exact rows of agg_agent_daily_performance. */
#include <criterion/criterion.h>
#include <string.h>

#include "query/report.h"
#include "storage/base/pgtext.h"

#define NUL INT64_MIN /* marks a NULL in the helpers below */

static void push(struct cs_col *c, int64_t v)
{
    if (v == NUL) {
        cr_assert(cs_col_push_null(c));
    } else if (c->kind == CS_K_BOOL) {
        cr_assert(cs_col_push_bool(c, v != 0));
    } else {
        cr_assert(cs_col_push_i64(c, v));
    }
}

/* queries: agent, latency, approved, edited, error */
static void
query_row(struct cs_batch *b, int64_t agent, int64_t lat, int64_t appr, int64_t ed, int64_t er)
{
    push(&b->cols[CS_FQ_AGENT], agent);
    push(&b->cols[CS_FQ_LATENCY], lat);
    push(&b->cols[CS_FQ_APPROVED], appr);
    push(&b->cols[CS_FQ_HUMAN_EDITED], ed);
    push(&b->cols[CS_FQ_ERROR], er);
    b->rows++;
}

static void approval_row(struct cs_batch *b, int64_t agent, int64_t sla)
{
    push(&b->cols[CS_FA_AGENT], agent);
    push(&b->cols[CS_FA_SLA_MET], sla);
    b->rows++;
}

static void training_row(struct cs_batch *b, int64_t agent, int64_t safe)
{
    push(&b->cols[CS_FT_AGENT], agent);
    push(&b->cols[CS_FT_SAFE], safe);
    b->rows++;
}

/* Row r of an agg batch as "v|v|...|v" (NULL empty), values as PostgreSQL prints them. */
static const char *row_text(const struct cs_batch *b, size_t r)
{
    static char out[512];
    size_t n = 0;
    for (int j = 0; j < CS_AGG_NCOLS; j++) {
        if (j > 0) out[n++] = '|';
        const struct cs_col *c = &b->cols[j];
        cr_assert_eq(c->len, b->rows);
        if (cs_col_is_null(c, r)) continue;
        n += cs_fmt_numeric(out + n, c->i64[r], b->table->cols[j].scale);
    }
    out[n] = '\0';
    return out;
}

struct fixture {
    struct cs_batch q, a, t, out;
};

static void fx_init(struct fixture *f)
{
    cs_batch_init(&f->q, cs_schema_table(CS_T_FACT_AGENT_QUERY));
    cs_batch_init(&f->a, cs_schema_table(CS_T_FACT_APPROVAL));
    cs_batch_init(&f->t, cs_schema_table(CS_T_FACT_TRAINING));
    cs_batch_init(&f->out, cs_schema_table(CS_T_AGG_DAILY));
}

static void fx_free(struct fixture *f)
{
    cs_batch_free(&f->q);
    cs_batch_free(&f->a);
    cs_batch_free(&f->t);
    cs_batch_free(&f->out);
}

Test(daily_agg, all_three_kinds_with_null_agents_and_flags)
{
    struct fixture f;
    fx_init(&f);
    query_row(&f.q, 2, 300, NUL, 0, 1);
    query_row(&f.q, 5, 7, 1, 1, 0);
    query_row(&f.q, 2, 100, 1, 1, 0);
    query_row(&f.q, 2, 200, 0, 0, 0);
    approval_row(&f.a, 2, 1);
    approval_row(&f.a, NUL, 1); /* excluded */
    approval_row(&f.a, 9, NUL); /* only approvals; NULL sla_met counts in the denominator */
    approval_row(&f.a, 2, 0);
    training_row(&f.t, 5, 0);
    training_row(&f.t, 7, 0);   /* only training */
    training_row(&f.t, NUL, 0); /* excluded */
    training_row(&f.t, 5, 1);
    training_row(&f.t, 5, NUL);
    struct cs_error err = {0};
    cr_assert_eq(cs_daily_agg_compute(20250304, &f.q, &f.a, &f.t, &f.out, &err), CS_OK, "%s",
                 err.message);
    cr_assert_eq(f.out.rows, 4);
    /* p95 of 100,200,300: pos 1.9 → 200 + 100 * 0.8999999999999999 → 290.00 */
    cr_assert_str_eq(row_text(&f.out, 0),
                     "2|20250304|3|200.00|290.00|33.33|33.33|33.33|2|0|0|50.00");
    cr_assert_str_eq(row_text(&f.out, 1), "5|20250304|1|7.00|7.00|100.00|100.00|0.00|0|3|1|");
    cr_assert_str_eq(row_text(&f.out, 2), "7|20250304|0||||||0|1|1|");
    cr_assert_str_eq(row_text(&f.out, 3), "9|20250304|0||||||1|0|0|0.00");
    fx_free(&f);
}

Test(daily_agg, empty_and_null_inputs_give_no_rows)
{
    struct fixture f;
    fx_init(&f);
    struct cs_error err = {0};
    cr_assert_eq(cs_daily_agg_compute(20250101, NULL, NULL, NULL, &f.out, &err), CS_OK);
    cr_assert_eq(cs_daily_agg_compute(20250101, &f.q, &f.a, &f.t, &f.out, &err), CS_OK);
    approval_row(&f.a, NUL, 1);
    training_row(&f.t, NUL, 0);
    cr_assert_eq(cs_daily_agg_compute(20250101, &f.q, &f.a, &f.t, &f.out, &err), CS_OK);
    cr_assert_eq(f.out.rows, 0);
    fx_free(&f);
}

Test(daily_agg, sparse_agent_keys_stay_in_key_order)
{
    struct fixture f;
    fx_init(&f);
    query_row(&f.q, 1000000000, 10, 1, 0, 0);
    query_row(&f.q, 3, 20, 0, 0, 0);
    query_row(&f.q, 1000000000, 30, 1, 0, 0);
    approval_row(&f.a, 500000, 1);
    struct cs_error err = {0};
    cr_assert_eq(cs_daily_agg_compute(20251231, &f.q, &f.a, NULL, &f.out, &err), CS_OK);
    cr_assert_eq(f.out.rows, 3);
    cr_assert_str_eq(row_text(&f.out, 0), "3|20251231|1|20.00|20.00|0.00|0.00|0.00|0|0|0|");
    cr_assert_str_eq(row_text(&f.out, 1), "500000|20251231|0||||||1|0|0|100.00");
    /* p95 of 10, 30: 10 + 20 * 0.95 = 29.00 */
    cr_assert_str_eq(row_text(&f.out, 2),
                     "1000000000|20251231|2|20.00|29.00|100.00|0.00|0.00|0|0|0|");
    fx_free(&f);
}

Test(daily_agg, many_rows_per_agent_percentile_and_rounding)
{
    struct fixture f;
    fx_init(&f);
    /* agent 1: latencies 1..1000 shuffled; p95: pos = 949.05 → 950 + 0.05 = 950.05 */
    for (int64_t i = 0; i < 1000; i++)
        query_row(&f.q, 1, (i * 389) % 1000 + 1, i % 3 == 0, 0, 0);
    /* agent 2: 1,2 x7 → avg 1.875 → 1.88 */
    query_row(&f.q, 2, 1, 0, 0, 0);
    for (int i = 0; i < 7; i++)
        query_row(&f.q, 2, 2, 0, 0, 0);
    struct cs_error err = {0};
    cr_assert_eq(cs_daily_agg_compute(20240229, &f.q, NULL, NULL, &f.out, &err), CS_OK);
    cr_assert_eq(f.out.rows, 2);
    cr_assert_str_eq(row_text(&f.out, 0), "1|20240229|1000|500.50|950.05|33.40|0.00|0.00|0|0|0|");
    cr_assert_str_eq(row_text(&f.out, 1), "2|20240229|8|1.88|2.00|0.00|0.00|0.00|0|0|0|");
    fx_free(&f);
}

Test(daily_agg, latency_beyond_numeric_10_2_is_bad_input)
{
    struct fixture f;
    fx_init(&f);
    query_row(&f.q, 1, 2000000000, 1, 0, 0);
    struct cs_error err = {0};
    cr_assert_eq(cs_daily_agg_compute(20250101, &f.q, NULL, NULL, &f.out, &err), CS_EINPUT);
    cr_assert(strstr(err.message, "numeric field overflow") != NULL, "%s", err.message);
    fx_free(&f);
}

Test(daily_agg, rejects_wrong_batches)
{
    struct fixture f;
    fx_init(&f);
    struct cs_error err = {0};
    cr_assert_eq(cs_daily_agg_compute(20250101, NULL, NULL, NULL, &f.q, &err), CS_EINVAL);
    approval_row(&f.a, 1, 1);
    cr_assert_eq(cs_daily_agg_compute(20250101, &f.a, NULL, NULL, &f.out, &err), CS_EINVAL);
    fx_free(&f);
}
