/*
 * A foreign table mapped onto its engine table: which engine column each attribute reads,
 * with a check that the declared type can hold the stored values (IMPORT FOREIGN SCHEMA
 * declares the seed's types; a hand-written CREATE FOREIGN TABLE may declare jsonb and text[]
 * as text, integers wider, numeric without a typmod), and the planner's row counts from the
 * manifest.
 */
#include "fdw/fdw.h"

#include "access/table.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

static int kind_of(int etype)
{
    switch (etype) {
    case COLSTORE_TYPE_SMALLINT:
    case COLSTORE_TYPE_INTEGER:
    case COLSTORE_TYPE_BIGINT:
        return CS_FDW_V_INT;
    case COLSTORE_TYPE_NUMERIC:
        return CS_FDW_V_NUMERIC;
    case COLSTORE_TYPE_DATE:
        return CS_FDW_V_DATE;
    case COLSTORE_TYPE_TIMESTAMP:
        return CS_FDW_V_TIMESTAMPTZ;
    case COLSTORE_TYPE_BOOL:
        return CS_FDW_V_BOOL;
    case COLSTORE_TYPE_JSONB:
        return CS_FDW_V_JSONB;
    case COLSTORE_TYPE_TEXT_ARRAY:
        return CS_FDW_V_TEXT_ARRAY;
    default:
        return CS_FDW_V_TEXT;
    }
}

/* Whether a column declared (pgtype, typmod) shows the stored values of ci unchanged. */
static bool type_fits(const colstore_column_info *ci, Oid pgtype, int32 typmod, bool *as_text)
{
    *as_text = false;
    switch (ci->type) {
    case COLSTORE_TYPE_SMALLINT:
        return pgtype == INT2OID || pgtype == INT4OID || pgtype == INT8OID;
    case COLSTORE_TYPE_INTEGER:
        return pgtype == INT4OID || pgtype == INT8OID;
    case COLSTORE_TYPE_BIGINT:
        return pgtype == INT8OID;
    case COLSTORE_TYPE_NUMERIC:
        /* the stored scale is what PostgreSQL prints: numeric(p, s) with the same s, or numeric */
        return pgtype == NUMERICOID &&
               (typmod < 0 || (int)((typmod - VARHDRSZ) & 0x7ff) == ci->scale);
    case COLSTORE_TYPE_DATE:
        return pgtype == DATEOID;
    case COLSTORE_TYPE_TIMESTAMP:
        return pgtype == TIMESTAMPTZOID;
    case COLSTORE_TYPE_BOOL:
        return pgtype == BOOLOID;
    case COLSTORE_TYPE_JSONB:
        *as_text = pgtype == TEXTOID;
        return pgtype == JSONBOID || pgtype == JSONOID || *as_text;
    case COLSTORE_TYPE_TEXT_ARRAY:
        *as_text = pgtype == TEXTOID;
        return pgtype == TEXTARRAYOID || *as_text;
    default:
        return pgtype == TEXTOID || (pgtype == VARCHAROID && typmod < 0);
    }
}

static void
map_column(const struct cs_fdw_table *t, Relation rel, Form_pg_attribute att, struct cs_fdw_col *c)
{
    colstore_error err;
    char *name = cs_fdw_column_name(RelationGetRelid(rel), att->attnum, NameStr(att->attname));
    size_t ecol;
    if (colstore_column_index(t->name, name, &ecol, &err) != COLSTORE_OK)
        ereport(ERROR, (errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND),
                        errmsg("foreign table \"%s\": column \"%s\" is not in the store's table "
                               "\"%s\"",
                               RelationGetRelationName(rel), name, t->name),
                        errdetail("%s", err.message)));
    colstore_column_info ci = COLSTORE_COLUMN_INFO_INIT;
    if (colstore_column_describe(t->name, ecol, &ci, &err) != COLSTORE_OK)
        cs_fdw_raise(&err, "describing a column");
    if (!type_fits(&ci, att->atttypid, att->atttypmod, &c->as_text))
        ereport(ERROR, (errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
                        errmsg("foreign table \"%s\": column \"%s\" is declared %s, the store "
                               "holds %s",
                               RelationGetRelationName(rel), NameStr(att->attname),
                               format_type_with_typemod(att->atttypid, att->atttypmod), ci.pg_type),
                        errhint("IMPORT FOREIGN SCHEMA declares every column with its type.")));
    c->ecol = (int)ecol;
    c->etype = ci.type;
    c->kind = kind_of(ci.type);
    c->scale = ci.scale;
}

void cs_fdw_table_load(Oid relid, Index rtindex, struct cs_fdw_table *out)
{
    memset(out, 0, sizeof(*out));
    cs_fdw_options_of(relid, &out->opts);
    out->name = out->opts.table;
    colstore_error err;
    colstore_table_info ti = COLSTORE_TABLE_INFO_INIT;
    if (colstore_table_describe(NULL, out->name, &ti, &err) != COLSTORE_OK)
        ereport(ERROR, (errcode(ERRCODE_FDW_TABLE_NOT_FOUND),
                        errmsg("foreign table \"%s\": the store has no table \"%s\"",
                               get_rel_name(relid), out->name),
                        errdetail("%s", err.message)));
    out->partitioned = ti.partitioned;
    Relation rel = table_open(relid, NoLock);
    TupleDesc desc = RelationGetDescr(rel);
    out->rel.relid = rtindex;
    out->rel.natts = desc->natts;
    out->rel.cols = palloc0(sizeof(struct cs_fdw_col) * Max(desc->natts, 1));
    for (int i = 0; i < desc->natts; i++) {
        Form_pg_attribute att = TupleDescAttr(desc, i);
        struct cs_fdw_col *c = &out->rel.cols[i];
        c->attno = att->attnum;
        c->ecol = -1;
        c->pgtype = att->atttypid;
        c->typmod = att->atttypmod;
        if (att->attisdropped) continue;
        map_column(out, rel, att, c);
        if (ti.partitioned && (size_t)c->ecol == ti.time_column) out->rel.time_attno = c->attno;
    }
    table_close(rel, NoLock);
}

void cs_fdw_table_rows(const struct cs_fdw_table *t, int64 lo, int64 hi, struct cs_fdw_rows *out)
{
    memset(out, 0, sizeof(*out));
    colstore_store *store = cs_fdw_store_acquire(t->opts.serverid, CurrentMemoryContext);
    colstore_snapshot *snap = NULL;
    colstore_error err;
    if (colstore_snapshot_open(store, &snap, &err) != COLSTORE_OK)
        cs_fdw_raise(&err, "estimating the rows of a foreign table");
    colstore_table_info ti = COLSTORE_TABLE_INFO_INIT;
    int rc = colstore_table_describe(snap, t->name, &ti, &err);
    out->total = (double)ti.rows;
    out->parts = (int64)ti.partitions;
    for (size_t i = 0; rc == COLSTORE_OK && i < ti.partitions; i++) {
        colstore_partition_info pi = COLSTORE_PARTITION_INFO_INIT;
        rc = colstore_partition_describe(snap, t->name, i, &pi, &err);
        if (rc != COLSTORE_OK || (t->partitioned && (pi.time_key < lo || pi.time_key > hi)))
            continue;
        out->in_range += (double)pi.rows;
        out->parts_in_range++;
    }
    colstore_snapshot_close(snap);
    if (rc != COLSTORE_OK) cs_fdw_raise(&err, "estimating the rows of a foreign table");
}
