-- The three standard reports in ClickHouse SQL over a Parquet export (colquery export),
-- equal to `colquery --format csv REPORT` (checked by tests/export/check_reports_sql.sh with
-- chdb). {out}, {as_of}, {days}, {year} are replaced before running; statements are separated
-- by lines `-- report: NAME`. Averages and percentages are computed as exact decimals and
-- rounded half away from zero, as PostgreSQL's numeric does (ClickHouse rounds floats half to
-- even), then cast to scale 2. Settings: output_format_decimal_trailing_zeros = 1.

-- report: agent-performance
SELECT d.full_date AS full_date, a.agent_name AS agent_name,
  count() AS total_queries,
  toDecimal128(round(toDecimal128(sum(f.latency_ms), 20) / count(), 2), 2) AS avg_latency_ms,
  toDecimal128(round(toDecimal128(100 * countIf(f.approved), 20) / count(), 2), 2) AS approval_rate_pct,
  toDecimal128(round(toDecimal128(100 * countIf(f.human_edited), 20) / count(), 2), 2) AS edit_rate_pct
FROM file('{out}/fact_agent_query/*/*.parquet', Parquet) AS f
JOIN file('{out}/dim_agent.parquet', Parquet) AS a ON f.agent_key = a.agent_key
JOIN file('{out}/dim_time.parquet', Parquet) AS d ON f.time_key = d.time_key
WHERE d.full_date BETWEEN toDate('{as_of}') - {days} AND toDate('{as_of}')
GROUP BY d.full_date, a.agent_name
ORDER BY d.full_date DESC, a.agent_name;

-- report: approval-queue
SELECT d.month_name AS month_name,
  count() AS total_approvals,
  if(count(f.resolution_time_seconds) = 0, NULL,
     toDecimal128(round(toDecimal128(sum(f.resolution_time_seconds), 20) / count(f.resolution_time_seconds) / 60, 2), 2))
    AS avg_resolution_minutes,
  toDecimal128(round(toDecimal128(100 * countIf(f.status = 'approved'), 20) / count(), 2), 2) AS approval_rate_pct,
  toDecimal128(round(toDecimal128(100 * countIf(f.sla_met), 20) / count(), 2), 2) AS sla_compliance_pct
FROM file('{out}/fact_approval/*/*.parquet', Parquet) AS f
JOIN file('{out}/dim_time.parquet', Parquet) AS d ON f.time_key = d.time_key
WHERE d.year = {year}
GROUP BY d.month, d.month_name
ORDER BY d.month;

-- report: training-quality
SELECT u.user_id AS annotator,
  count() AS total_annotations,
  toDecimal128(round(toDecimal128(sum(f.overall_score), 20) / count(f.overall_score), 2), 2) AS avg_overall_score,
  if(count(f.clarity_score) = 0, NULL,
     toDecimal128(round(toDecimal128(sum(f.clarity_score), 20) / count(f.clarity_score), 2), 2)) AS avg_clarity,
  if(count(f.accuracy_score) = 0, NULL,
     toDecimal128(round(toDecimal128(sum(f.accuracy_score), 20) / count(f.accuracy_score), 2), 2)) AS avg_accuracy,
  if(count(f.tone_score) = 0, NULL,
     toDecimal128(round(toDecimal128(sum(f.tone_score), 20) / count(f.tone_score), 2), 2)) AS avg_tone,
  toDecimal128(round(toDecimal128(100 * countIf(f.safe_to_send = false), 20) / count(), 2), 2) AS unsafe_rate_pct
FROM file('{out}/fact_training/*/*.parquet', Parquet) AS f
JOIN file('{out}/dim_user.parquet', Parquet) AS u ON f.annotator_key = u.user_key
JOIN file('{out}/dim_time.parquet', Parquet) AS d ON f.time_key = d.time_key
WHERE d.full_date BETWEEN toDate('{as_of}') - {days} AND toDate('{as_of}')
GROUP BY u.user_id
ORDER BY total_annotations DESC, annotator;
