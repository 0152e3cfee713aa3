/*
 * colstore_fdw: the store as PostgreSQL foreign tables (docs/sql.md). This file is the
 * module's entry: the magic block and the handler that hands PostgreSQL the callbacks defined
 * in the other files (fdw_import.c, fdw_plan.c, fdw_scan.c, fdw_modify.c).
 */
#include "fdw/fdw.h"

#include <malloc.h>

#include "fmgr.h"
#include "foreign/fdwapi.h"
#include "nodes/nodes.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);

/* Heap that queries after the first reuse: the engine's per-query buffers (group tables,
 * string pools, kernel workspaces: a few hundred KiB to tens of MiB) would otherwise be mmap'ed
 * and unmapped by glibc each query, or trimmed off the heap's top, and faulted in again page by
 * page (~10 µs a page here: a millisecond a query, more than a small pushed query's work). A
 * fixed mmap threshold also stops glibc's own threshold from moving with the sizes freed. */
#define CS_FDW_MMAP_THRESHOLD (32 << 20)
#define CS_FDW_TRIM_THRESHOLD (64 << 20)

void _PG_init(void)
{
    (void)mallopt(M_MMAP_THRESHOLD, CS_FDW_MMAP_THRESHOLD);
    (void)mallopt(M_TRIM_THRESHOLD, CS_FDW_TRIM_THRESHOLD);
    cs_fdw_define_settings();
    DefineCustomBoolVariable(
        "colstore_fdw.pushdown",
        "Runs star joins, grouping and aggregates inside the store's engine.",
        "Off: PostgreSQL joins and aggregates the rows the foreign scans return.", &cs_fdw_pushdown,
        true, PGC_USERSET, 0, NULL, NULL, NULL);
    DefineCustomBoolVariable(
        "colstore_fdw.kernels",
        "Runs a pushed query of a report's shape through that report's kernel.",
        "Off: every pushed query runs the engine's general scan, join and hash grouping.",
        &cs_fdw_kernels, true, PGC_USERSET, 0, NULL, NULL, NULL);
}

PG_FUNCTION_INFO_V1(colstore_fdw_malloc_in_use);

/* colstore_fdw_malloc_in_use(): bytes in use in every malloc arena of this process. */
Datum colstore_fdw_malloc_in_use(PG_FUNCTION_ARGS)
{
    (void)fcinfo;
    const struct mallinfo2 mi = mallinfo2();
    PG_RETURN_INT64((int64)(mi.uordblks + mi.hblkhd));
}

PG_FUNCTION_INFO_V1(colstore_fdw_handler);

Datum colstore_fdw_handler(PG_FUNCTION_ARGS)
{
    (void)fcinfo;
    FdwRoutine *r = makeNode(FdwRoutine);
    cs_fdw_plan_routines(r);
    cs_fdw_scan_routines(r);
    cs_fdw_import_routines(r);
    cs_fdw_push_routines(r);
    cs_fdw_modify_routines(r);
    PG_RETURN_POINTER(r);
}
