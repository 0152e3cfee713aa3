/*
 * The daily aggregate kernel (agg_agent_daily_performance of one day) with a reusable
 * workspace, shared by cs_daily_agg_compute() (the loader's refresh) and daily-agg
 * --recompute (one workspace per worker, reused day after day).
 */
#ifndef CS_QUERY_DAILY_AGG_H
#define CS_QUERY_DAILY_AGG_H

#include <stddef.h>
#include <stdint.h>

#include "storage/base/column.h"
#include "storage/base/status.h"

struct cs_dagg_ws; /* scratch buffers; grown as needed, never shrunk */

/* cs_dagg_ws_new() - a workspace (NULL when memory runs out); cs_dagg_ws_free() releases it
 * (NULL is a no-op). */
struct cs_dagg_ws *cs_dagg_ws_new(void);
void cs_dagg_ws_free(struct cs_dagg_ws *ws);

/* cs_dagg_day() - cs_daily_agg_compute() with workspace ws. Reads only these columns of the
 * batches (the others may be empty): fact_agent_query agent_key, latency_ms, approved,
 * human_edited, error_occurred; fact_approval agent_key, sla_met; fact_training agent_key,
 * safe_to_send. Every row is taken to belong to day time_key. */
int cs_dagg_day(struct cs_dagg_ws *ws,
                int32_t time_key,
                const struct cs_batch *queries,
                const struct cs_batch *approvals,
                const struct cs_batch *training,
                struct cs_batch *out,
                struct cs_error *err);

#endif
