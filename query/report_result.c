/* Result tables: creation and release (see report.h). */
#include "query/report.h"

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
