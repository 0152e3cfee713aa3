/* Row comparison and key-ordered merging for the loader (see load.h). */
#include "engine/load.h"

#include <stdlib.h>

bool cs_rows_equal(const struct cs_batch *x, size_t a, const struct cs_batch *y, size_t b)
{
    const struct cs_table_def *t = x->table;
    for (int c = 0; c < t->ncols; c++) {
        if (t->cols[c].flags & CS_COL_HIDDEN) continue;
        if (!cs_col_equal_at(&x->cols[c], a, &y->cols[c], b)) return false;
    }
    return true;
}

struct merge_ref {
    int64_t key;
    uint32_t src; /* 0 old, 1 add */
    uint32_t row;
};

static int cmp_ref(const void *pa, const void *pb)
{
    const struct merge_ref *a = pa, *b = pb;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    if (a->src != b->src) return a->src < b->src ? -1 : 1;
    return a->row < b->row ? -1 : (a->row > b->row);
}

int cs_merge_by_key(const struct cs_batch *old,
                    const struct cs_batch *add,
                    const uint8_t *keep,
                    struct cs_batch *out,
                    struct cs_error *err)
{
    const int kc = add->table->key_col;
    size_t n_old = old != NULL ? old->rows : 0;
    size_t n = n_old;
    for (size_t r = 0; r < add->rows; r++)
        n += keep == NULL || keep[r] ? 1 : 0;
    struct merge_ref *refs = malloc((n ? n : 1) * sizeof(*refs));
    if (refs == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory merging rows");
    size_t k = 0;
    bool sorted = true;
    for (size_t r = 0; r < n_old; r++) {
        refs[k] = (struct merge_ref){old->cols[kc].i64[r], 0, (uint32_t)r};
        if (k > 0 && cmp_ref(&refs[k - 1], &refs[k]) > 0) sorted = false;
        k++;
    }
    for (size_t r = 0; r < add->rows; r++) {
        if (keep != NULL && !keep[r]) continue;
        refs[k] = (struct merge_ref){add->cols[kc].i64[r], 1, (uint32_t)r};
        if (k > 0 && cmp_ref(&refs[k - 1], &refs[k]) > 0) sorted = false;
        k++;
    }
    if (!sorted) qsort(refs, n, sizeof(*refs), cmp_ref);
    cs_batch_reset(out);
    /* copy runs of consecutive rows of one source at once */
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && refs[j].src == refs[i].src && refs[j].row == refs[j - 1].row + 1)
            j++;
        const struct cs_batch *src = refs[i].src == 0 ? old : add;
        if (!cs_batch_append_range(out, src, refs[i].row, j - i)) {
            free(refs);
            return cs_error_set(err, CS_ENOMEM, "out of memory merging rows");
        }
        i = j;
    }
    free(refs);
    return CS_OK;
}
