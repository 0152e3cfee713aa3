/*
 * colquery info (tools/info.c): a store's tables, or one table's columns and partitions,
 * printed as table, csv or json.
 */
#ifndef CS_TOOLS_INFO_H
#define CS_TOOLS_INFO_H

#include "engine/colstore.h"

/* info_print() - `colquery info` (table NULL) or `colquery info TABLE` on stdout, from one
 * snapshot of store (opened on directory dir). Returns a colstore code (err filled). */
int info_print(colstore_store *store,
               const char *dir,
               const char *table,
               enum colstore_output out,
               colstore_error *err);

#endif
