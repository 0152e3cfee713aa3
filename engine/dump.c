/*
 * colstore_dump: a stored table back out as PostgreSQL prints
 * `COPY (SELECT * FROM t ORDER BY key) TO STDOUT` (text, or csv with HEADER).
 *
 * Row groups are kept in key order inside; when their key ranges do not overlap (the usual
 * case: keys grow with time, and late rows appended to an older day come as a row group of
 * newer keys), the dump streams one row group at a time in the order of their key ranges.
 * Otherwise (rows of interleaved keys put by bulk loads) it orders every row by key first.
 */
#include "engine/engine.h"

#include <stdlib.h>
#include <string.h>

#include "etl/dump.h"
#include "etl/parse.h"

/* A row group's key range, for ordering the groups. */
struct group_range {
    int64_t min, max;
    size_t part;
};

static int cmp_range(const void *pa, const void *pb)
{
    const struct group_range *a = pa, *b = pb;
    return (a->min > b->min) - (a->min < b->min);
}

static int stream_parts(struct cs_snap *snap,
                        const struct cs_table_def *t,
                        const struct group_range *order,
                        size_t n,
                        int fmt,
                        FILE *out,
                        struct cs_error *e)
{
    struct cs_batch b;
    cs_batch_init(&b, t);
    int rc = CS_OK;
    for (size_t i = 0; i < n && rc == CS_OK; i++) {
        rc = cs_snap_read_part(snap, t->id, order[i].part, &b, e);
        if (rc == CS_OK) rc = cs_dump_rows(out, &b, fmt, e);
    }
    cs_batch_free(&b);
    return rc;
}

struct key_ref {
    int64_t key;
    uint32_t part, row;
};

static int cmp_key_ref(const void *pa, const void *pb)
{
    const struct key_ref *a = pa, *b = pb;
    return (a->key > b->key) - (a->key < b->key);
}

/* Rows of every partition, ordered by key: all partitions are read into memory. */
static int sorted_parts(struct cs_snap *snap,
                        const struct cs_table_def *t,
                        size_t n,
                        int fmt,
                        FILE *out,
                        struct cs_error *e)
{
    struct cs_batch *parts = calloc(n, sizeof(*parts));
    size_t total = 0;
    int rc = parts == NULL ? cs_error_set(e, CS_ENOMEM, "out of memory") : CS_OK;
    for (size_t i = 0; i < n && rc == CS_OK; i++) {
        cs_batch_init(&parts[i], t);
        rc = cs_snap_read_part(snap, t->id, i, &parts[i], e);
        total += parts[i].rows;
    }
    struct key_ref *refs = rc == CS_OK ? malloc((total ? total : 1) * sizeof(*refs)) : NULL;
    if (rc == CS_OK && refs == NULL) rc = cs_error_set(e, CS_ENOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n && rc == CS_OK; i++) {
        for (size_t r = 0; r < parts[i].rows; r++)
            refs[k++] =
                (struct key_ref){parts[i].cols[t->key_col].i64[r], (uint32_t)i, (uint32_t)r};
    }
    if (rc == CS_OK) qsort(refs, total, sizeof(*refs), cmp_key_ref);
    struct cs_batch one;
    cs_batch_init(&one, t);
    for (size_t j = 0; j < total && rc == CS_OK; j++) {
        cs_batch_reset(&one);
        if (!cs_batch_push_row_from(&one, &parts[refs[j].part], refs[j].row))
            rc = cs_error_set(e, CS_ENOMEM, "out of memory");
        else
            rc = cs_dump_rows(out, &one, fmt, e);
    }
    cs_batch_free(&one);
    free(refs);
    for (size_t i = 0; parts != NULL && i < n; i++)
        cs_batch_free(&parts[i]);
    free(parts);
    return rc;
}

static int dump_snap(
    struct cs_snap *snap, const struct cs_table_def *t, int fmt, FILE *out, struct cs_error *e)
{
    int rc = cs_dump_header(out, t, fmt, e);
    const size_t n = cs_snap_part_count(snap, t->id);
    struct group_range *order = malloc((n + 1) * sizeof(*order));
    if (rc == CS_OK && order == NULL) rc = cs_error_set(e, CS_ENOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n && rc == CS_OK; i++) {
        struct cs_seg_stats st;
        rc = cs_snap_col_stats(snap, t->id, i, t->key_col, &st, e);
        if (rc == CS_OK && st.rows > 0) order[k++] = (struct group_range){st.min, st.max, i};
    }
    bool ordered = true;
    if (rc == CS_OK) {
        qsort(order, k, sizeof(*order), cmp_range);
        for (size_t i = 1; i < k && ordered; i++)
            ordered = order[i].min > order[i - 1].max;
    }
    if (rc == CS_OK)
        rc = ordered ? stream_parts(snap, t, order, k, fmt, out, e)
                     : sorted_parts(snap, t, n, fmt, out, e);
    free(order);
    return rc;
}

int colstore_dump(colstore_store *store,
                  const char *table,
                  enum colstore_format format,
                  FILE *out,
                  colstore_error *err)
{
    struct cs_error e = {0};
    struct cs_snap *snap = NULL;
    int rc = CS_OK;
    const struct cs_table_def *t = NULL;
    if (store == NULL || table == NULL || out == NULL) {
        rc = cs_error_set(&e, CS_EINVAL, "dump: store, table and out are required");
        goto done;
    }
    t = cs_schema_find_table(table);
    if (t == NULL) {
        rc = cs_error_set(&e, CS_EINVAL, "dump: unknown table \"%s\"", table);
        goto done;
    }
    if (format != COLSTORE_FORMAT_TEXT && format != COLSTORE_FORMAT_CSV) {
        rc = cs_error_set(&e, CS_EINVAL, "dump: format must be COLSTORE_FORMAT_TEXT or _CSV");
        goto done;
    }
    rc = cs_snap_open(store->st, &snap, &e);
    if (rc != CS_OK) goto done;
    rc = dump_snap(snap, t, format == COLSTORE_FORMAT_CSV ? CS_FMT_CSV : CS_FMT_TEXT, out, &e);
    if (rc == CS_OK && fflush(out) != 0) rc = cs_error_set(&e, CS_EIO, "dump: write failed");
done:
    cs_snap_close(snap);
    return cs_engine_return(err, rc, &e);
}

int colstore_verify(colstore_store *store,
                    void (*cb)(void *ctx, const char *file, const char *reason),
                    void *ctx,
                    colstore_error *err)
{
    struct cs_error e = {0};
    int rc = store == NULL ? cs_error_set(&e, CS_EINVAL, "verify: store is required")
                           : cs_store_verify(store->st, cb, ctx, &e);
    return cs_engine_return(err, rc, &e);
}
