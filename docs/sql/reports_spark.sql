-- The three standard reports in Spark SQL (3.x) over a Parquet export (colquery export) on
-- shared storage. Not run by the test suite (no Spark here): written to the same semantics as
-- reports_clickhouse.sql, which is checked against colquery; exact decimal arithmetic and
-- HALF_UP rounding (Spark's ROUND on decimals) as PostgreSQL's numeric. Parameters: ${out},
-- ${as_of}, ${days}, ${year}.

CREATE TABLE IF NOT EXISTS fact_agent_query USING parquet LOCATION '${out}/fact_agent_query';
CREATE TABLE IF NOT EXISTS fact_approval USING parquet LOCATION '${out}/fact_approval';
CREATE TABLE IF NOT EXISTS fact_training USING parquet LOCATION '${out}/fact_training';
-- Spark discovers time_key=YYYYMMDD as the partition column (it also sits in each file; Spark
-- takes the value from the path). New days: MSCK REPAIR TABLE fact_agent_query; (or
-- ALTER TABLE ... ADD PARTITION (time_key = 20260101)).
CREATE TABLE IF NOT EXISTS dim_agent USING parquet LOCATION '${out}/dim_agent.parquet';
CREATE TABLE IF NOT EXISTS dim_time USING parquet LOCATION '${out}/dim_time.parquet';
CREATE TABLE IF NOT EXISTS dim_user USING parquet LOCATION '${out}/dim_user.parquet';

-- report: agent-performance
SELECT d.full_date, a.agent_name,
  COUNT(*) AS total_queries,
  ROUND(CAST(SUM(f.latency_ms) AS DECIMAL(38, 10)) / COUNT(*), 2) AS avg_latency_ms,
  ROUND(CAST(100 * SUM(CASE WHEN f.approved THEN 1 ELSE 0 END) AS DECIMAL(38, 10)) / COUNT(*), 2)
    AS approval_rate_pct,
  ROUND(CAST(100 * SUM(CASE WHEN f.human_edited THEN 1 ELSE 0 END) AS DECIMAL(38, 10)) / COUNT(*), 2)
    AS edit_rate_pct
FROM fact_agent_query f
JOIN dim_agent a ON f.agent_key = a.agent_key
JOIN dim_time d ON f.time_key = d.time_key
WHERE d.full_date BETWEEN date_sub(DATE '${as_of}', ${days}) AND DATE '${as_of}'
GROUP BY d.full_date, a.agent_name
ORDER BY d.full_date DESC, a.agent_name;  -- Spark orders strings bytewise (UTF-8), as "C"

-- report: approval-queue
SELECT d.month_name,
  COUNT(*) AS total_approvals,
  ROUND(CAST(SUM(f.resolution_time_seconds) AS DECIMAL(38, 10)) / COUNT(f.resolution_time_seconds) / 60, 2)
    AS avg_resolution_minutes,
  ROUND(CAST(100 * SUM(CASE WHEN f.status = 'approved' THEN 1 ELSE 0 END) AS DECIMAL(38, 10)) / COUNT(*), 2)
    AS approval_rate_pct,
  ROUND(CAST(100 * SUM(CASE WHEN f.sla_met THEN 1 ELSE 0 END) AS DECIMAL(38, 10)) / COUNT(*), 2)
    AS sla_compliance_pct
FROM fact_approval f
JOIN dim_time d ON f.time_key = d.time_key
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
  ROUND(CAST(100 * SUM(CASE WHEN f.safe_to_send = false THEN 1 ELSE 0 END) AS DECIMAL(38, 10)) / COUNT(*), 2)
    AS unsafe_rate_pct
FROM fact_training f
JOIN dim_user u ON f.annotator_key = u.user_key
JOIN dim_time d ON f.time_key = d.time_key
WHERE d.full_date BETWEEN date_sub(DATE '${as_of}', ${days}) AND DATE '${as_of}'
GROUP BY u.user_id
ORDER BY total_annotations DESC, annotator;
