/*
 * Writes are refused: the store is written by its loader (colload, the C API), one atomic
 * commit at a time, never row by row through SQL. INSERT, UPDATE, DELETE, COPY FROM and
 * TRUNCATE on a colstore foreign table fail with one clear error that says where data comes
 * from, and information_schema shows the tables as not insertable.
 */
#include "fdw/fdw.h"

#include "foreign/fdwapi.h"
#include "nodes/pathnodes.h"
#include "parser/parsetree.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

static pg_attribute_noreturn() void refuse(const char *verb, const char *relname)
{
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("cannot %s foreign table \"%s\": colstore foreign tables are read-only",
                           verb, relname),
                    errhint("Load data into the store with colload (or colstore_load_* in the "
                            "C API); queries see each load when it commits.")));
}

static const char *verb_of(CmdType op)
{
    switch (op) {
    case CMD_INSERT:
        return "insert into";
    case CMD_UPDATE:
        return "update";
    case CMD_DELETE:
        return "delete from";
    default:
        return "modify";
    }
}

static List *plan_modify(PlannerInfo *root, ModifyTable *plan, Index rti, int subplan_index)
{
    (void)subplan_index;
    RangeTblEntry *rte = planner_rt_fetch(rti, root);
    refuse(verb_of(plan->operation), get_rel_name(rte->relid));
}

static void begin_insert(ModifyTableState *mtstate, ResultRelInfo *rinfo)
{
    (void)mtstate;
    refuse("copy into", RelationGetRelationName(rinfo->ri_RelationDesc));
}

static TupleTableSlot *
exec_insert(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot, TupleTableSlot *plan_slot)
{
    (void)estate;
    (void)slot;
    (void)plan_slot;
    refuse("insert into", RelationGetRelationName(rinfo->ri_RelationDesc));
}

static void exec_truncate(List *rels, DropBehavior behavior, bool restart_seqs)
{
    (void)behavior;
    (void)restart_seqs;
    refuse("truncate", RelationGetRelationName((Relation)linitial(rels)));
}

static int rel_updatable(Relation rel)
{
    (void)rel;
    return 0;
}

void cs_fdw_modify_routines(FdwRoutine *r)
{
    r->PlanForeignModify = plan_modify;
    r->BeginForeignInsert = begin_insert;
    r->ExecForeignInsert = exec_insert;
    r->ExecForeignTruncate = exec_truncate;
    r->IsForeignRelUpdatable = rel_updatable;
}
