/*
 * The report kernels' raw aggregates, shared by the reports (report_*.c, which finish them
 * into the report's columns) and by the star-query executor's specializations
 * (plan_special.c, which hands them on as a plan's aggregate states): one kernel, two users,
 * so a report and the same SQL pushed through the executor read the data the same way.
 */
#ifndef CS_QUERY_REPORT_KERNELS_H
#define CS_QUERY_REPORT_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "query/kernel.h"
#include "query/scan.h"

/* agent-performance: per (day, agent_name group) of fact_agent_query. */
struct cs_ap_agg {
    int64_t count, latency_sum, approved, edited; /* approved = true, human_edited = true */
};

/* cs_ap_scan() - the aggregates of days[0..ndays) (cs_days_to_parts() done) by name group of
 * agent_key: agg is ndays x (ngroups + 1) zeroed entries, [day][group], the last group of a
 * day collecting agent keys no group holds. general: the general plan only (tests). */
int cs_ap_scan(struct cs_snap *snap,
               const struct cs_day_slot *days,
               size_t ndays,
               const struct cs_name_groups *groups,
               unsigned threads,
               bool general,
               struct cs_ap_agg *agg,
               struct cs_error *err);

/* approval-queue: per day group (cs_day_slot.group) of fact_approval. */
struct cs_aq_agg {
    int64_t count, res_sum, res_count, approved, sla_met; /* status = 'approved', sla_met */
};

/* cs_aq_scan() - the aggregates of days[0..ndays) into total_agg[days[i].group] (ngroups
 * zeroed entries). */
int cs_aq_scan(struct cs_snap *snap,
               const struct cs_day_slot *days,
               size_t ndays,
               size_t ngroups,
               unsigned threads,
               struct cs_aq_agg *total_agg,
               struct cs_error *err);

/* training-quality: per name group of annotator_key in fact_training. */
#define CS_TQ_SCORES 4 /* overall_score, clarity_score, accuracy_score, tone_score */
struct cs_tq_agg {
    int64_t count, unsafe; /* safe_to_send = false */
    int64_t sum[CS_TQ_SCORES], n[CS_TQ_SCORES];
};

/* cs_tq_scan() - the aggregates of days[0..ndays) into total_agg[group] (ngroups + 1 zeroed
 * entries; the last is left zero: NULL or unknown annotators are dropped). */
int cs_tq_scan(struct cs_snap *snap,
               const struct cs_day_slot *days,
               size_t ndays,
               const struct cs_name_groups *groups,
               unsigned threads,
               bool general,
               struct cs_tq_agg *total_agg,
               struct cs_error *err);

/* cs_report_window() - `col BETWEEN lo AND hi` on dim_time (a report's window of days), or
 * NULL when memory runs out. */
struct cs_scan_pred *cs_report_window(int col, int64_t lo, int64_t hi);

#endif
