/*
 * Snapshots (colstore_snapshot) and the catalog: tables, columns and partitions as embedders
 * see them, drawn from the schema (storage/base/schema.c) and a snapshot's manifest. Public
 * column indexes count the visible columns in DDL order (what SELECT * shows); hidden
 * columns (the operational source ids) are not part of the API.
 */
#include "engine/engine.h"
#include "storage/segment.h"

#include <stdlib.h>
#include <string.h>

/* ---- snapshots ---- */

void cs_engine_snap_ref(colstore_snapshot *s)
{
    atomic_fetch_add(&s->refs, 1);
}

void cs_engine_snap_unref(colstore_snapshot *s)
{
    if (atomic_fetch_sub(&s->refs, 1) != 1) return;
    cs_snap_close(s->snap);
    cs_engine_store_unref(s->store);
    free(s);
}

static int snapshot_open(colstore_store *store,
                         uint64_t version,
                         bool newest,
                         colstore_snapshot **out,
                         colstore_error *err)
{
    struct cs_error e = {0};
    colstore_snapshot *s = NULL;
    int rc;
    if (out != NULL) *out = NULL;
    if (store == NULL || out == NULL) {
        rc = cs_error_set(&e, CS_EINVAL, "snapshot: store and out are required");
        goto done;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        rc = cs_error_set(&e, CS_ENOMEM, "out of memory");
        goto done;
    }
    rc = newest ? cs_snap_open(store->st, &s->snap, &e)
                : cs_snap_open_version(store->st, version, &s->snap, &e);
    if (rc != CS_OK) goto done;
    s->store = store;
    cs_engine_store_ref(store);
    atomic_init(&s->refs, 1);
    *out = s;
    s = NULL;
done:
    free(s);
    return cs_engine_return(err, rc, &e);
}

int colstore_snapshot_open(colstore_store *store, colstore_snapshot **out, colstore_error *err)
{
    return snapshot_open(store, 0, true, out, err);
}

int colstore_snapshot_open_version(colstore_store *store,
                                   uint64_t version,
                                   colstore_snapshot **out,
                                   colstore_error *err)
{
    return snapshot_open(store, version, false, out, err);
}

uint64_t colstore_snapshot_version(const colstore_snapshot *snap)
{
    return snap != NULL ? cs_snap_version(snap->snap) : 0;
}

void colstore_snapshot_close(colstore_snapshot *snap)
{
    if (snap != NULL) cs_engine_snap_unref(snap);
}

/* ---- tables and columns ---- */

/* Public table order: the dimensions, the facts, the aggregate (the schema's ids). */
size_t colstore_table_count(void)
{
    return CS_TABLE_MAX - CS_TABLE_MIN + 1;
}

const char *colstore_table_name(size_t i)
{
    const struct cs_table_def *t = cs_schema_table((int)(i < 256 ? i : 255) + CS_TABLE_MIN);
    return t != NULL ? t->name : NULL;
}

int cs_engine_table(const char *table, struct cs_engine_table *out, struct cs_error *e)
{
    const struct cs_table_def *t = cs_schema_find_table(table);
    if (t == NULL) {
        char names[512] = "";
        for (size_t i = 0; i < colstore_table_count(); i++) {
            if (i > 0) strncat(names, ", ", sizeof(names) - strlen(names) - 1);
            strncat(names, colstore_table_name(i), sizeof(names) - strlen(names) - 1);
        }
        return cs_error_set(e, CS_EINVAL, "unknown table \"%s\" (tables: %s)",
                            table != NULL ? table : "(null)", names);
    }
    out->def = t;
    out->ncols = 0;
    for (int c = 0; c < t->ncols; c++) {
        if (!(t->cols[c].flags & CS_COL_HIDDEN)) out->col[out->ncols++] = c;
    }
    return CS_OK;
}

int cs_engine_col_type(const struct cs_column_def *c)
{
    switch (c->type) {
    case CS_TY_INT4:
        return COLSTORE_TYPE_INTEGER;
    case CS_TY_INT8:
        return COLSTORE_TYPE_BIGINT;
    case CS_TY_BOOL:
        return COLSTORE_TYPE_BOOL;
    case CS_TY_DATE:
        return COLSTORE_TYPE_DATE;
    case CS_TY_TIMESTAMPTZ:
        return COLSTORE_TYPE_TIMESTAMP;
    case CS_TY_NUMERIC:
        return COLSTORE_TYPE_NUMERIC;
    case CS_TY_JSONB:
        return COLSTORE_TYPE_JSONB;
    case CS_TY_TEXT_ARRAY:
        return COLSTORE_TYPE_TEXT_ARRAY;
    default:
        return COLSTORE_TYPE_TEXT; /* TEXT, and query_hash (HASH16) as its hex text */
    }
}

/* put_sized() - copy the first min(*size, n) bytes of full into out (extensible out-structs:
 * a caller built against an older header gets the fields it knows). */
static int put_sized(void *out, const void *full, size_t n, struct cs_error *e)
{
    size_t have;
    memcpy(&have, out, sizeof(have));
    if (have < sizeof(size_t))
        return cs_error_set(e, CS_EINVAL, "out->size is %zu: set it with the INIT macro", have);
    memcpy((char *)out + sizeof(size_t), (const char *)full + sizeof(size_t),
           (have < n ? have : n) - sizeof(size_t));
    return CS_OK;
}

static void table_counts(struct cs_snap *snap, int id, colstore_table_info *ti)
{
    const size_t n = cs_snap_part_count(snap, id);
    ti->partitions = n;
    for (size_t i = 0; i < n; i++) {
        const struct cs_part_info p = cs_snap_part(snap, id, i);
        ti->rows += p.rows;
        ti->bytes += p.bytes;
        if (i == 0) ti->first_time_key = p.time_key;
        ti->last_time_key = p.time_key;
    }
}

int colstore_table_describe(colstore_snapshot *snap,
                            const char *table,
                            colstore_table_info *out,
                            colstore_error *err)
{
    struct cs_error e = {0};
    struct cs_engine_table et = {0};
    int rc;
    if (out == NULL) {
        rc = cs_error_set(&e, CS_EINVAL, "table_describe: out is required");
        goto done;
    }
    rc = cs_engine_table(table, &et, &e);
    if (rc != CS_OK) goto done;
    const struct cs_table_def *t = et.def;
    colstore_table_info ti = {sizeof(ti),         t->name, t->is_fact, et.ncols, 0, {0, 0},
                              COLSTORE_NO_COLUMN, 0,       0,          0,        0, 0};
    for (size_t j = 0; j < et.ncols; j++) {
        if ((t->cols[et.col[j]].flags & CS_COL_KEY) && ti.key_columns < 2)
            ti.key[ti.key_columns++] = j;
        if (t->is_fact && et.col[j] == t->time_col) ti.time_column = j;
    }
    if (snap != NULL) table_counts(snap->snap, t->id, &ti);
    rc = put_sized(out, &ti, sizeof(ti), &e);
done:
    return cs_engine_return(err, rc, &e);
}

int colstore_column_describe(const char *table,
                             size_t col,
                             colstore_column_info *out,
                             colstore_error *err)
{
    struct cs_error e = {0};
    struct cs_engine_table et = {0};
    int rc;
    if (out == NULL) {
        rc = cs_error_set(&e, CS_EINVAL, "column_describe: out is required");
        goto done;
    }
    rc = cs_engine_table(table, &et, &e);
    if (rc != CS_OK) goto done;
    if (col >= et.ncols) {
        rc = cs_error_set(&e, CS_EINVAL, "%s has %zu columns, not %zu", et.def->name, et.ncols,
                          col + 1);
        goto done;
    }
    const struct cs_column_def *c = &et.def->cols[et.col[col]];
    colstore_column_info ci = {sizeof(ci),
                               c->name,
                               cs_engine_col_type(c),
                               {0},
                               0,
                               0,
                               !(c->flags & CS_COL_NOT_NULL),
                               (c->flags & CS_COL_KEY) != 0,
                               (c->flags & CS_COL_GENERATED) != 0};
    cs_column_pg_type(c, ci.pg_type, sizeof(ci.pg_type));
    if (c->type == CS_TY_NUMERIC) {
        ci.precision = c->precision;
        ci.scale = c->scale;
    }
    rc = put_sized(out, &ci, sizeof(ci), &e);
done:
    return cs_engine_return(err, rc, &e);
}

int colstore_column_index(const char *table, const char *column, size_t *out, colstore_error *err)
{
    struct cs_error e = {0};
    struct cs_engine_table et = {0};
    char names[512] = "";
    int rc;
    if (column == NULL || out == NULL) {
        rc = cs_error_set(&e, CS_EINVAL, "column_index: column and out are required");
        goto done;
    }
    rc = cs_engine_table(table, &et, &e);
    if (rc != CS_OK) goto done;
    for (size_t j = 0; j < et.ncols; j++) {
        const char *name = et.def->cols[et.col[j]].name;
        if (strcmp(name, column) == 0) {
            *out = j;
            goto done;
        }
        if (j > 0) strncat(names, ", ", sizeof(names) - strlen(names) - 1);
        strncat(names, name, sizeof(names) - strlen(names) - 1);
    }
    rc = cs_error_set(&e, CS_EINVAL, "%s has no column \"%s\" (columns: %s)", et.def->name, column,
                      names);
done:
    return cs_engine_return(err, rc, &e);
}

int colstore_partition_describe(colstore_snapshot *snap,
                                const char *table,
                                size_t i,
                                colstore_partition_info *out,
                                colstore_error *err)
{
    struct cs_error e = {0};
    struct cs_engine_table et = {0};
    int rc;
    if (snap == NULL || out == NULL) {
        rc = cs_error_set(&e, CS_EINVAL, "partition_describe: snap and out are required");
        goto done;
    }
    rc = cs_engine_table(table, &et, &e);
    if (rc != CS_OK) goto done;
    const size_t n = cs_snap_part_count(snap->snap, et.def->id);
    if (i >= n) {
        rc = cs_error_set(&e, CS_EINVAL, "%s has %zu partitions, not %zu", et.def->name, n, i + 1);
        goto done;
    }
    const struct cs_part_info p = cs_snap_part(snap->snap, et.def->id, i);
    /* a commit writes the partitions it puts into data/<its version>.cseg */
    const colstore_partition_info pi = {sizeof(pi), p.time_key,
                                        p.rows,     p.bytes,
                                        p.file_id,  cs_snap_file_time(snap->snap, p.file_id),
                                        p.seq};
    rc = put_sized(out, &pi, sizeof(pi), &e);
done:
    return cs_engine_return(err, rc, &e);
}

/* ---- what `colquery info` shows ---- */

int colstore_snapshot_describe(colstore_snapshot *snap,
                               colstore_snapshot_info *out,
                               colstore_error *err)
{
    struct cs_error e = {0};
    struct cs_snap_disk d;
    int rc;
    if (snap == NULL || out == NULL) {
        rc = cs_error_set(&e, CS_EINVAL, "snapshot_describe: snap and out are required");
        goto done;
    }
    rc = cs_snap_disk(snap->snap, &d, &e);
    if (rc != CS_OK) goto done;
    colstore_snapshot_info si = {sizeof(si),    cs_snap_version(snap->snap),     d.committed_us,
                                 (int)d.format, d.manifest_bytes + d.data_bytes, 0};
    for (int t = CS_TABLE_MIN; t <= CS_TABLE_MAX; t++) {
        for (size_t i = 0; i < cs_snap_part_count(snap->snap, t); i++)
            si.live_bytes += cs_snap_part(snap->snap, t, i).bytes;
    }
    rc = put_sized(out, &si, sizeof(si), &e);
done:
    return cs_engine_return(err, rc, &e);
}

int colstore_segment_describe(colstore_snapshot *snap,
                              const char *table,
                              size_t i,
                              size_t col,
                              colstore_segment_info *out,
                              colstore_error *err)
{
    struct cs_error e = {0};
    struct cs_engine_table et = {0};
    uint8_t hdr[CS_SEG_HEADER_SIZE];
    uint64_t len = 0;
    struct cs_seg_layout l;
    int rc;
    if (snap == NULL || out == NULL) {
        rc = cs_error_set(&e, CS_EINVAL, "segment_describe: snap and out are required");
        goto done;
    }
    rc = cs_engine_table(table, &et, &e);
    if (rc != CS_OK) goto done;
    const size_t n = cs_snap_part_count(snap->snap, et.def->id);
    if (i >= n || col >= et.ncols) {
        rc = cs_error_set(&e, CS_EINVAL, "%s has %zu partitions and %zu columns, not %zu and %zu",
                          et.def->name, n, et.ncols, i + 1, col + 1);
        goto done;
    }
    rc = cs_snap_col_header(snap->snap, et.def->id, i, et.col[col], hdr, &len, &e);
    if (rc == CS_OK)
        rc = cs_seg_read_layout(hdr, sizeof(hdr), &l, cs_store_dir(snap->store->st), &e);
    if (rc != CS_OK) goto done;
    const colstore_segment_info si = {
        sizeof(si), cs_seg_codec_name(l.codec), l.lz4, l.rows, l.null_count, len, l.raw_size};
    rc = put_sized(out, &si, sizeof(si), &e);
done:
    return cs_engine_return(err, rc, &e);
}
