/* Result tables: creation and release (see report.h); the reports' window predicate. */
#include "query/report.h"
#include "query/report_kernels.h"

#include <assert.h>
#include <stdlib.h>

struct cs_result *cs_result_new(size_t ncols, const struct cs_result_coldef *cols)
{
    assert(ncols <= CS_RESULT_MAX_COLS);
    struct cs_result *r = calloc(1, sizeof(*r));
    if (r == NULL) return NULL;
    r->ncols = ncols;
    for (size_t j = 0; j < ncols; j++) {
        r->names[j] = cols[j].name;
        r->types[j] = cols[j].type;
        r->scales[j] = cols[j].scale;
        cs_col_init(&r->cols[j], cs_type_kind(cols[j].type));
    }
    return r;
}

void cs_result_free(struct cs_result *r)
{
    if (r == NULL) return;
    for (size_t j = 0; j < r->ncols; j++)
        cs_col_free(&r->cols[j]);
    free(r);
}

struct cs_scan_pred *cs_report_window(int col, int64_t lo, int64_t hi)
{
    struct cs_scan_pred *args[2] = {cs_scan_pred_cmp_i64(col, CS_CMP_GE, lo),
                                    cs_scan_pred_cmp_i64(col, CS_CMP_LE, hi)};
    if (args[0] == NULL || args[1] == NULL) {
        cs_scan_pred_free(args[0]);
        cs_scan_pred_free(args[1]);
        return NULL;
    }
    return cs_scan_pred_logic(CS_SCAN_AND, args, 2);
}
