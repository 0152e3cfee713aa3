/*
 * Dimension access for the reports: only the needed columns of a dimension, names grouped in
 * bytewise order, and the dim_time rows that select fact partitions.
 */
#include "query/kernel.h"

#include <stdlib.h>
#include <string.h>

int cs_qdim_read(struct cs_snap *snap,
                 int table,
                 const int *cols,
                 size_t ncols,
                 struct cs_col *out,
                 size_t *rows,
                 struct cs_error *err)
{
    const struct cs_table_def *t = cs_schema_table(table);
    for (size_t j = 0; j < ncols; j++)
        cs_col_init(&out[j], cs_type_kind(t->cols[cols[j]].type));
    *rows = 0;
    const size_t n = cs_snap_part_count(snap, table);
    if (n == 0) return CS_OK;
    for (size_t j = 0; j < ncols; j++) { /* every chunk (row group) of the dimension */
        int rc = cs_snap_read_col(snap, table, 0, cols[j], &out[j], err);
        struct cs_col more;
        cs_col_init(&more, out[j].kind);
        for (size_t i = 1; i < n && rc == CS_OK; i++) {
            rc = cs_snap_read_col(snap, table, i, cols[j], &more, err);
            if (rc == CS_OK && !cs_col_append_range(&out[j], &more, 0, more.len))
                rc = cs_error_set(err, CS_ENOMEM, "out of memory reading %s", t->name);
        }
        cs_col_free(&more);
        if (rc != CS_OK) return rc;
        if (j > 0 && out[j].len != out[0].len) {
            return cs_error_set(err, CS_ECORRUPT, "%s: columns of different lengths", t->name);
        }
    }
    *rows = ncols > 0 ? out[0].len : 0;
    return CS_OK;
}

int cs_qread_cols(struct cs_snap *snap,
                  int table,
                  size_t part,
                  const int *cols,
                  size_t ncols,
                  struct cs_col *out,
                  size_t *rows,
                  struct cs_error *err)
{
    for (size_t j = 0; j < ncols; j++) {
        const int rc = cs_snap_read_col(snap, table, part, cols[j], &out[j], err);
        if (rc != CS_OK) return rc;
        if (out[j].len != out[0].len) {
            return cs_error_set(err, CS_ECORRUPT, "%s: partition %zu: columns of different lengths",
                                cs_schema_table(table)->name, part);
        }
    }
    *rows = ncols > 0 ? out[0].len : 0;
    return CS_OK;
}

int cs_qcheck_not_null(const struct cs_col *c, int table, int col, struct cs_error *err)
{
    if (c->null_count == 0) return CS_OK;
    const struct cs_table_def *t = cs_schema_table(table);
    return cs_error_set(err, CS_ECORRUPT, "%s.%s: NULL in a NOT NULL column", t->name,
                        t->cols[col].name);
}

int cs_qname_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    const size_t n = alen < blen ? alen : blen;
    const int c = n > 0 ? memcmp(a, b, n) : 0;
    if (c != 0) return c;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

struct name_ref {
    const char *s;
    size_t len;
    size_t row;
};

static int name_ref_cmp(const void *x, const void *y)
{
    const struct name_ref *a = x, *b = y;
    return cs_qname_cmp(a->s, a->len, b->s, b->len);
}

void cs_name_groups_free(struct cs_name_groups *g)
{
    free(g->names);
    free(g->name_lens);
    cs_keymap_free(&g->map);
    memset(g, 0, sizeof(*g));
}

int cs_name_groups_build(struct cs_name_groups *g,
                         const struct cs_col *keys,
                         const struct cs_col *names,
                         struct cs_error *err)
{
    memset(g, 0, sizeof(*g));
    const size_t n = keys->len;
    struct name_ref *refs = malloc((n + 1) * sizeof(*refs));
    uint32_t *ids = malloc((n + 1) * sizeof(*ids));
    g->names = malloc((n + 1) * sizeof(*g->names));
    g->name_lens = malloc((n + 1) * sizeof(*g->name_lens));
    int rc = CS_ENOMEM;
    if (refs == NULL || ids == NULL || g->names == NULL || g->name_lens == NULL) goto out;
    for (size_t i = 0; i < n; i++) {
        refs[i].s = cs_col_str(names, i, &refs[i].len);
        refs[i].row = i;
    }
    qsort(refs, n, sizeof(*refs), name_ref_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || name_ref_cmp(&refs[i - 1], &refs[i]) != 0) {
            g->names[g->ngroups] = refs[i].s;
            g->name_lens[g->ngroups] = refs[i].len;
            g->ngroups++;
        }
        ids[refs[i].row] = (uint32_t)(g->ngroups - 1);
    }
    rc = cs_keymap_build(&g->map, keys->i64, ids, n, (uint32_t)g->ngroups, err);
out:
    free(refs);
    free(ids);
    if (rc == CS_ENOMEM && err != NULL && err->code != CS_ENOMEM) {
        (void)cs_error_set(err, rc, "out of memory grouping %zu dimension rows", n);
    }
    if (rc != CS_OK) {
        free(g->names);
        free(g->name_lens);
        memset(g, 0, sizeof(*g));
    }
    return rc;
}

static int slot_cmp(const void *x, const void *y)
{
    const struct cs_day_slot *a = x, *b = y;
    return (a->time_key > b->time_key) - (a->time_key < b->time_key);
}

void cs_days_to_parts(
    struct cs_snap *snap, int table, struct cs_day_slot *days, size_t ndays, size_t *n)
{
    *n = 0;
    if (ndays == 0) return;
    qsort(days, ndays, sizeof(*days), slot_cmp);
    size_t first = 0, end = 0;
    cs_snap_part_range(snap, table, days[0].time_key, days[ndays - 1].time_key, &first, &end);
    /* merge the two time_key-ordered lists */
    size_t d = 0, kept = 0;
    for (size_t p = first; p < end && d < ndays;) {
        const int32_t tk = cs_snap_part(snap, table, p).time_key;
        const size_t day_end = cs_snap_part_end(snap, table, p);
        while (d < ndays && days[d].time_key < tk)
            d++;
        if (d < ndays && days[d].time_key == tk) {
            days[kept] = days[d];
            days[kept].part = p;
            days[kept].nparts = day_end - p;
            kept++;
            d++;
        }
        p = day_end;
    }
    *n = kept;
}
