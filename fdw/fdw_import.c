/*
 * IMPORT FOREIGN SCHEMA colstore FROM SERVER s INTO local_schema: one foreign table per table
 * of the store (the four dimensions, the three facts, agg_agent_daily_performance), with the
 * seed's column names and types (numeric(p,s), timestamptz, jsonb, text[]; the generated
 * overall_score as a plain column) and NOT NULL where the seed has it, so the seed's SQL runs
 * on them unchanged. LIMIT TO / EXCEPT choose tables as usual. The store is opened once, so a
 * wrong path is reported here rather than by the first query.
 */
#include "fdw/fdw.h"

#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#define CS_FDW_REMOTE_SCHEMA "colstore"

static bool wanted(const ImportForeignSchemaStmt *stmt, const char *table)
{
    ListCell *lc;
    bool listed = false;
    foreach (lc, stmt->table_list) {
        RangeVar *rv = lfirst_node(RangeVar, lc);
        if (strcmp(rv->relname, table) == 0) listed = true;
    }
    switch (stmt->list_type) {
    case FDW_IMPORT_SCHEMA_LIMIT_TO:
        return listed;
    case FDW_IMPORT_SCHEMA_EXCEPT:
        return !listed;
    default:
        return true;
    }
}

static char *create_statement(const ImportForeignSchemaStmt *stmt, const char *table)
{
    colstore_error err;
    colstore_table_info ti = COLSTORE_TABLE_INFO_INIT;
    if (colstore_table_describe(NULL, table, &ti, &err) != COLSTORE_OK)
        cs_fdw_raise(&err, "describing a table of the store");
    StringInfoData sql;
    initStringInfo(&sql);
    appendStringInfo(&sql, "CREATE FOREIGN TABLE %s (", quote_identifier(table));
    for (size_t i = 0; i < ti.columns; i++) {
        colstore_column_info ci = COLSTORE_COLUMN_INFO_INIT;
        if (colstore_column_describe(table, i, &ci, &err) != COLSTORE_OK)
            cs_fdw_raise(&err, "describing a column of the store");
        appendStringInfo(&sql, "%s\n  %s %s%s", i > 0 ? "," : "", quote_identifier(ci.name),
                         ci.pg_type, ci.nullable ? "" : " NOT NULL");
    }
    appendStringInfo(&sql, "\n) SERVER %s OPTIONS (table %s)", quote_identifier(stmt->server_name),
                     quote_literal_cstr(table));
    return sql.data;
}

static List *import_schema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
    if (strcmp(stmt->remote_schema, CS_FDW_REMOTE_SCHEMA) != 0)
        ereport(ERROR, (errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
                        errmsg("a colstore store has one schema, \"%s\", not \"%s\"",
                               CS_FDW_REMOTE_SCHEMA, stmt->remote_schema)));
    if (stmt->options != NIL)
        ereport(ERROR, (errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
                        errmsg("IMPORT FOREIGN SCHEMA of colstore_fdw takes no options")));
    /* Open the store (and a snapshot) now: a wrong path fails the import, not a later query. */
    colstore_snapshot *snap = NULL;
    colstore_error err;
    colstore_store *store = cs_fdw_store_acquire(serverOid, CurrentMemoryContext);
    if (colstore_snapshot_open(store, &snap, &err) != COLSTORE_OK)
        cs_fdw_raise(&err, "importing the tables of the store");
    colstore_snapshot_close(snap);
    List *out = NIL;
    for (size_t i = 0; i < colstore_table_count(); i++) {
        const char *table = colstore_table_name(i);
        if (wanted(stmt, table)) out = lappend(out, create_statement(stmt, table));
    }
    return out;
}

void cs_fdw_import_routines(FdwRoutine *r)
{
    r->ImportForeignSchema = import_schema;
}
