/*
 * Internal to the engine: what the Arrow stream (engine/scan_arrow.c) and the Parquet export
 * need of a public scan (engine/scan_api.c) beyond colstore.h: the operator's batch and the
 * schema definition of each projected column.
 */
#ifndef CS_ENGINE_SCAN_API_H
#define CS_ENGINE_SCAN_API_H

#include "engine/colstore.h"
#include "query/scan.h"

/* cs_engine_batch() - the scan operator's batch behind b. */
const struct cs_scan_batch *cs_engine_batch(const colstore_batch *b);
/* cs_engine_scan_ncols() / cs_engine_scan_def() - the projected columns of s. */
size_t cs_engine_scan_ncols(const colstore_scan *s);
const struct cs_column_def *cs_engine_scan_def(const colstore_scan *s, size_t j);

/* cs_engine_pred_compile() - a public predicate on table et as the scan operator's (*out,
 * released with cs_scan_pred_free()); CS_EINVAL naming what does not fit. */
struct cs_engine_table;
struct cs_error;
int cs_engine_pred_compile(const struct cs_engine_table *et,
                           const colstore_pred *p,
                           struct cs_scan_pred **out,
                           struct cs_error *e);

#endif
