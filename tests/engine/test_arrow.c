/* Arrow C Data Interface export of each report, checked field by field. */
#include <criterion/criterion.h>

#include "tests/engine/fixture.h"

static colstore_result *report(const char *name, char **dir)
{
    *dir = fx_tmpdir();
    colstore_store *st = NULL;
    colstore_error err;
    cr_assert_eq(colstore_open(*dir, COLSTORE_WRITABLE | COLSTORE_CREATE, &st, &err), COLSTORE_OK);
    cr_assert_eq(fx_load_all(st, &err), COLSTORE_OK, "%s", err.message);
    colstore_report_params p = COLSTORE_REPORT_PARAMS_INIT;
    p.days = -1;
    p.as_of = "2025-03-03";
    p.year = 2025;
    p.from = "2025-03-01";
    p.to = "2025-03-03";
    colstore_result *r = NULL;
    cr_assert_eq(colstore_report(st, name, &p, &r, &err), COLSTORE_OK, "%s", err.message);
    colstore_close(st); /* results outlive the store */
    return r;
}

static bool valid_bit(const struct ArrowArray *a, int64_t i)
{
    const uint8_t *v = a->buffers[0];
    return v == NULL || (v[i / 8] >> (i % 8)) & 1;
}

Test(arrow, agent_performance_exports_every_field)
{
    char *dir;
    colstore_result *r = report("agent-performance", &dir);
    struct ArrowSchema s;
    struct ArrowArray a;
    colstore_error err;
    cr_assert_eq(colstore_result_to_arrow(r, &s, &a, &err), COLSTORE_OK, "%s", err.message);
    colstore_result_free(r); /* the export owns copies */
    cr_assert_str_eq(s.format, "+s");
    cr_assert_eq(s.n_children, 6);
    cr_assert_eq(a.n_children, 6);
    cr_assert_eq(a.length, 4);
    const char *formats[] = {"tdD", "u", "l", "d:18,2", "d:18,2", "d:18,2"};
    const char *names[] = {"full_date",      "agent_name",        "total_queries",
                           "avg_latency_ms", "approval_rate_pct", "edit_rate_pct"};
    for (int i = 0; i < 6; i++) {
        cr_assert_str_eq(s.children[i]->format, formats[i]);
        cr_assert_str_eq(s.children[i]->name, names[i]);
        cr_assert_eq(a.children[i]->length, 4);
        cr_assert_eq(a.children[i]->null_count, 0);
    }
    /* row 2: 2025-03-01, data, 2, 150.50 */
    const int32_t *dates = a.children[0]->buffers[1];
    cr_assert_eq(dates[2], 20148); /* days from 1970-01-01 to 2025-03-01 */
    const int32_t *off = a.children[1]->buffers[1];
    const char *txt = a.children[1]->buffers[2];
    cr_assert_eq(off[3] - off[2], 4);
    cr_assert(memcmp(txt + off[2], "data", 4) == 0);
    cr_assert(memcmp(txt + off[3], "support", 7) == 0);
    const int64_t *counts = a.children[2]->buffers[1];
    cr_assert_eq(counts[2], 2);
    const uint8_t *dec = a.children[3]->buffers[1];
    int64_t lo;
    memcpy(&lo, dec + 16 * 2, 8);
    cr_assert_eq(lo, 15050);
    s.release(&s);
    a.release(&a);
    cr_assert_null(s.release);
    cr_assert_null(a.release);
    free(dir);
}

Test(arrow, daily_agg_exports_nulls_in_validity_bitmaps)
{
    char *dir;
    colstore_result *r = report("daily-agg", &dir);
    struct ArrowSchema s;
    struct ArrowArray a;
    colstore_error err;
    cr_assert_eq(colstore_result_to_arrow(r, &s, &a, &err), COLSTORE_OK, "%s", err.message);
    colstore_result_free(r);
    cr_assert_eq(a.length, 4);
    cr_assert_eq(s.n_children, 12);
    const struct ArrowArray *sla = a.children[11];
    cr_assert_str_eq(s.children[11]->name, "sla_compliance_pct");
    cr_assert_eq(sla->null_count, 3);
    cr_assert(!valid_bit(sla, 0));
    cr_assert(valid_bit(sla, 1));
    int64_t v;
    memcpy(&v, (const uint8_t *)sla->buffers[1] + 16, 8);
    cr_assert_eq(v, 10000); /* 100.00 */
    s.release(&s);
    a.release(&a);
    free(dir);
}

Test(arrow, approval_and_training_reports_export)
{
    const char *names[] = {"approval-queue", "training-quality"};
    const int64_t cols[] = {5, 7};
    for (int k = 0; k < 2; k++) {
        char *dir;
        colstore_result *r = report(names[k], &dir);
        struct ArrowSchema s;
        struct ArrowArray a;
        colstore_error err;
        cr_assert_eq(colstore_result_to_arrow(r, &s, &a, &err), COLSTORE_OK, "%s", err.message);
        cr_assert_eq(s.n_children, cols[k]);
        cr_assert_eq(a.length, 1);
        cr_assert_str_eq(s.children[0]->format, "u");
        const int32_t *off = a.children[0]->buffers[1];
        const char *txt = a.children[0]->buffers[2];
        const char *want = k == 0 ? "March    " : "ann-1";
        cr_assert_eq((size_t)(off[1] - off[0]), strlen(want));
        cr_assert(memcmp(txt, want, strlen(want)) == 0);
        colstore_result_free(r);
        s.release(&s);
        a.release(&a);
        free(dir);
    }
}

/* Every cell of every report's Arrow export equals the result cursor's value. */
static void check_cell(colstore_result *r,
                       const struct ArrowSchema *s,
                       const struct ArrowArray *a,
                       size_t row,
                       size_t col)
{
    const bool null = colstore_result_is_null(r, row, col);
    cr_assert_eq(!valid_bit(a, (int64_t)row), null, "%s row %zu: validity", s->name, row);
    if (null) return;
    const int type = colstore_result_column_type(r, col);
    if (type == COLSTORE_TYPE_TEXT) {
        const int32_t *off = a->buffers[1];
        const char *txt = a->buffers[2];
        const char *want = colstore_result_text(r, row, col);
        cr_assert_eq((size_t)(off[row + 1] - off[row]), strlen(want), "%s row %zu", s->name, row);
        cr_assert(memcmp(txt + off[row], want, strlen(want)) == 0, "%s row %zu", s->name, row);
    } else if (type == COLSTORE_TYPE_NUMERIC) {
        int64_t lo, hi;
        memcpy(&lo, (const uint8_t *)a->buffers[1] + 16 * row, 8);
        memcpy(&hi, (const uint8_t *)a->buffers[1] + 16 * row + 8, 8);
        cr_assert_eq(lo, colstore_result_int(r, row, col), "%s row %zu", s->name, row);
        cr_assert_eq(hi, lo < 0 ? -1 : 0, "%s row %zu: sign extension", s->name, row);
        char fmt[16];
        snprintf(fmt, sizeof(fmt), "d:18,%d", colstore_result_column_scale(r, col));
        cr_assert_str_eq(s->format, fmt);
    } else if (type == COLSTORE_TYPE_DATE) {
        const int32_t *d = a->buffers[1];
        cr_assert_eq(d[row], colstore_result_int(r, row, col), "%s row %zu", s->name, row);
    } else {
        const int64_t *v = a->buffers[1];
        cr_assert_eq(v[row], colstore_result_int(r, row, col), "%s row %zu", s->name, row);
    }
}

Test(arrow, every_cell_of_every_report_matches_the_cursor)
{
    const char *names[] = {"agent-performance", "approval-queue", "training-quality", "daily-agg"};
    for (int k = 0; k < 4; k++) {
        char *dir;
        colstore_result *r = report(names[k], &dir);
        struct ArrowSchema s;
        struct ArrowArray a;
        colstore_error err;
        cr_assert_eq(colstore_result_to_arrow(r, &s, &a, &err), COLSTORE_OK, "%s", err.message);
        cr_assert_eq((size_t)s.n_children, colstore_result_columns(r));
        cr_assert_eq((size_t)a.length, colstore_result_rows(r));
        cr_assert_gt(a.length, 0, "%s has rows", names[k]);
        for (size_t c = 0; c < colstore_result_columns(r); c++) {
            cr_assert_str_eq(s.children[c]->name, colstore_result_column_name(r, c));
            cr_assert_eq((size_t)a.children[c]->length, colstore_result_rows(r));
            for (size_t row = 0; row < colstore_result_rows(r); row++)
                check_cell(r, s.children[c], a.children[c], row, c);
        }
        colstore_result_free(r);
        s.release(&s);
        a.release(&a);
        free(dir);
    }
}
