/*
 * Options of colstore_fdw and their validator.
 *   SERVER         store 'DIR'          the store directory (absolute path), required
 *   FOREIGN TABLE  table 'NAME'         the engine's table (default: the foreign table's name)
 *   COLUMN         column_name 'NAME'   the engine's column (default: the column's name)
 * The validator checks names and forms only: a server may be created before its store is,
 * so the store itself is opened (and its absence reported) by the first query.
 */
#include "fdw/fdw.h"

#include "access/reloptions.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_attribute.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

struct valid_option {
    const char *name;
    Oid context; /* catalog the option belongs to */
};

static const struct valid_option valid_options[] = {
    {"store", ForeignServerRelationId},
    {"table", ForeignTableRelationId},
    {"column_name", AttributeRelationId},
};
#define N_VALID_OPTIONS (sizeof(valid_options) / sizeof(valid_options[0]))

static bool is_valid_option(const char *name, Oid context)
{
    for (size_t i = 0; i < N_VALID_OPTIONS; i++)
        if (valid_options[i].context == context && strcmp(valid_options[i].name, name) == 0)
            return true;
    return false;
}

static void reject_option(const DefElem *def, Oid context)
{
    StringInfoData names;
    initStringInfo(&names);
    for (size_t i = 0; i < N_VALID_OPTIONS; i++) {
        if (valid_options[i].context != context) continue;
        appendStringInfo(&names, "%s%s", names.len > 0 ? ", " : "", valid_options[i].name);
    }
    ereport(ERROR, (errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
                    errmsg("invalid option \"%s\"", def->defname),
                    names.len > 0 ? errhint("Valid options in this context are: %s", names.data)
                                  : errhint("There are no valid options in this context.")));
}

static void check_value(const DefElem *def)
{
    const char *v = defGetString((DefElem *)def);
    if (v[0] == '\0')
        ereport(ERROR, (errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
                        errmsg("option \"%s\" must not be empty", def->defname)));
    if (strcmp(def->defname, "store") == 0 && v[0] != '/')
        ereport(ERROR, (errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
                        errmsg("option \"store\" must be an absolute path, not \"%s\"", v),
                        errhint("The server process opens the store; a relative path would "
                                "be relative to its data directory.")));
}

PG_FUNCTION_INFO_V1(colstore_fdw_validator);

/* colstore_fdw_validator(options text[], catalog oid): CREATE / ALTER of the wrapper, a
 * server, a user mapping, a foreign table or a column. */
Datum colstore_fdw_validator(PG_FUNCTION_ARGS)
{
    List *options = untransformRelOptions(PG_GETARG_DATUM(0));
    Oid catalog = PG_GETARG_OID(1);
    bool have_store = false;
    ListCell *lc;
    foreach (lc, options) {
        DefElem *def = lfirst_node(DefElem, lc);
        if (!is_valid_option(def->defname, catalog)) reject_option(def, catalog);
        for (ListCell *prev = list_head(options); lfirst(prev) != def; prev = lnext(options, prev))
            if (strcmp(lfirst_node(DefElem, prev)->defname, def->defname) == 0)
                ereport(ERROR, (errcode(ERRCODE_SYNTAX_ERROR),
                                errmsg("option \"%s\" given more than once", def->defname)));
        check_value(def);
        have_store |= strcmp(def->defname, "store") == 0;
    }
    if (catalog == ForeignServerRelationId && !have_store)
        ereport(ERROR, (errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
                        errmsg("a colstore_fdw server needs the option \"store\""),
                        errhint("CREATE SERVER s FOREIGN DATA WRAPPER colstore_fdw "
                                "OPTIONS (store '/path/to/store')")));
    PG_RETURN_VOID();
}

static char *option_value(List *options, const char *name)
{
    ListCell *lc;
    foreach (lc, options) {
        DefElem *def = lfirst_node(DefElem, lc);
        if (strcmp(def->defname, name) == 0) return defGetString(def);
    }
    return NULL;
}

char *cs_fdw_server_store(Oid serverid)
{
    ForeignServer *server = GetForeignServer(serverid);
    char *store = option_value(server->options, "store");
    if (store == NULL)
        ereport(ERROR, (errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
                        errmsg("server \"%s\" has no option \"store\"", server->servername)));
    return store;
}

void cs_fdw_options_of(Oid relid, struct cs_fdw_options *out)
{
    ForeignTable *ft = GetForeignTable(relid);
    out->serverid = ft->serverid;
    out->store = cs_fdw_server_store(ft->serverid);
    out->table = option_value(ft->options, "table");
    if (out->table == NULL) out->table = get_rel_name(relid);
}

char *cs_fdw_column_name(Oid relid, AttrNumber attnum, const char *attname)
{
    char *name = option_value(GetForeignColumnOptions(relid, attnum), "column_name");
    return name != NULL ? name : pstrdup(attname);
}
