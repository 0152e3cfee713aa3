-- The three standard reports in Trino SQL over a Parquet export (colquery export) on shared
-- storage, through the Hive connector. Not run by the test suite (no Trino here): written to
-- the same semantics as reports_clickhouse.sql, which is checked against colquery; decimals
-- exact, ROUND half up as PostgreSQL's numeric. Parameters: ${out}, ${as_of}, ${days}, ${year}.
-- Tables (the partition column is declared once, as the Hive connector requires; the copy of
-- time_key inside each file is not read):
--   CREATE TABLE hive.wh.fact_agent_query (query_key bigint, agent_key integer,
--     conv_key integer, query_hash varchar, result_size_bytes integer, latency_ms integer,
--     approved boolean, human_edited boolean, error_occurred boolean,
--     created_at timestamp(6) with time zone, time_key integer)
--   WITH (external_location = '${out}/fact_agent_query', format = 'PARQUET',
--         partitioned_by = ARRAY['time_key']);
--   CALL hive.system.sync_partition_metadata('wh', 'fact_agent_query', 'ADD');
--   (fact_approval and fact_training alike; the single files dim_*.parquet each in a
--   directory of their own, e.g. copied to ${out}/dims/dim_agent/, as external tables.)

-- report: agent-performance
SELECT d.full_date, a.agent_name,
  COUNT(*) AS total_queries,
  ROUND(CAST(SUM(f.latency_ms) AS DECIMAL(38, 10)) / COUNT(*), 2) AS avg_latency_ms,
  ROUND(CAST(100 * COUNT(*) FILTER (WHERE f.approved) AS DECIMAL(38, 10)) / COUNT(*), 2)
    AS approval_rate_pct,
  ROUND(CAST(100 * COUNT(*) FILTER (WHERE f.human_edited) AS DECIMAL(38, 10)) / COUNT(*), 2)
    AS edit_rate_pct
FROM hive.wh.fact_agent_query f
JOIN hive.wh.dim_agent a ON f.agent_key = a.agent_key
JOIN hive.wh.dim_time d ON f.time_key = d.time_key
WHERE d.full_date BETWEEN DATE '${as_of}' - INTERVAL '${days}' DAY AND DATE '${as_of}'
GROUP BY d.full_date, a.agent_name
ORDER BY d.full_date DESC, a.agent_name;  -- varchar orders by code point, as "C" for UTF-8

-- report: approval-queue
SELECT d.month_name,
  COUNT(*) AS total_approvals,
  ROUND(CAST(SUM(f.resolution_time_seconds) AS DECIMAL(38, 10)) / COUNT(f.resolution_time_seconds) / 60, 2)
    AS avg_resolution_minutes,
  ROUND(CAST(100 * COUNT(*) FILTER (WHERE f.status = 'approved') AS DECIMAL(38, 10)) / COUNT(*), 2)
    AS approval_rate_pct,
  ROUND(CAST(100 * COUNT(*) FILTER (WHERE f.sla_met) AS DECIMAL(38, 10)) / COUNT(*), 2)
    AS sla_compliance_pct
FROM hive.wh.fact_approval f
JOIN hive.wh.dim_time d ON f.time_key = d.time_key
WHERE d.year = ${year}
GROUP BY d.month, d.month_name
ORDER BY d.month;

-- report: training-quality
SELECT u.user_id AS annotator,
  COUNT(*) AS total_annotations,
  ROUND(CAST(SUM(f.overall_score) AS DECIMAL(38, 10)) / COUNT(f.overall_score), 2) AS avg_overall_score,
  ROUND(CAST(SUM(f.clarity_score) AS DECIMAL(38, 10)) / COUNT(f.clarity_score), 2) AS avg_clarity,
  ROUND(CAST(SUM(f.accuracy_score) AS DECIMAL(38, 10)) / COUNT(f.accuracy_score), 2) AS avg_accuracy,
  ROUND(CAST(SUM(f.tone_score) AS DECIMAL(38, 10)) / COUNT(f.tone_score), 2) AS avg_tone,
  ROUND(CAST(100 * COUNT(*) FILTER (WHERE f.safe_to_send = false) AS DECIMAL(38, 10)) / COUNT(*), 2)
    AS unsafe_rate_pct
FROM hive.wh.fact_training f
JOIN hive.wh.dim_user u ON f.annotator_key = u.user_key
JOIN hive.wh.dim_time d ON f.time_key = d.time_key
WHERE d.full_date BETWEEN DATE '${as_of}' - INTERVAL '${days}' DAY AND DATE '${as_of}'
GROUP BY u.user_id
ORDER BY total_annotations DESC, annotator;
