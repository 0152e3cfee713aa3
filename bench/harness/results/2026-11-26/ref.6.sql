INSERT INTO agg_agent_daily_performance
WITH r AS (
  SELECT to_char(:'from'::date, 'YYYYMMDD')::int AS lo, to_char(:'to'::date, 'YYYYMMDD')::int AS hi
), q AS (
  SELECT f.agent_key, f.time_key,
    COUNT(*) AS total_queries,
    ROUND(AVG(f.latency_ms), 2) AS avg_latency_ms,
    PERCENTILE_CONT(0.95) WITHIN GROUP (ORDER BY f.latency_ms) AS p95_latency_ms,
    ROUND(100.0 * COUNT(*) FILTER (WHERE f.approved = true) / COUNT(*), 2) AS approval_rate_pct,
    ROUND(100.0 * COUNT(*) FILTER (WHERE f.human_edited = true) / COUNT(*), 2) AS edit_rate_pct,
    ROUND(100.0 * COUNT(*) FILTER (WHERE f.error_occurred = true) / COUNT(*), 2) AS error_rate_pct
  FROM fact_agent_query f, r WHERE f.time_key BETWEEN r.lo AND r.hi
  GROUP BY f.agent_key, f.time_key
), a AS (
  SELECT f.agent_key, f.time_key,
    COUNT(*) AS total_approvals,
    ROUND(100.0 * COUNT(*) FILTER (WHERE f.sla_met = true) / COUNT(*), 2) AS sla_compliance_pct
  FROM fact_approval f, r WHERE f.agent_key IS NOT NULL AND f.time_key BETWEEN r.lo AND r.hi
  GROUP BY f.agent_key, f.time_key
), t AS (
  SELECT f.agent_key, f.time_key,
    COUNT(*) AS total_feedback,
    COUNT(*) FILTER (WHERE f.safe_to_send = false) AS unsafe_feedback_count
  FROM fact_training f, r WHERE f.agent_key IS NOT NULL AND f.time_key BETWEEN r.lo AND r.hi
  GROUP BY f.agent_key, f.time_key
), k AS (
  SELECT agent_key, time_key FROM q UNION SELECT agent_key, time_key FROM a
  UNION SELECT agent_key, time_key FROM t
)
SELECT k.agent_key, k.time_key,
  COALESCE(q.total_queries, 0), q.avg_latency_ms, q.p95_latency_ms,
  q.approval_rate_pct, q.edit_rate_pct, q.error_rate_pct,
  COALESCE(a.total_approvals, 0), COALESCE(t.total_feedback, 0),
  COALESCE(t.unsafe_feedback_count, 0), a.sla_compliance_pct
FROM k
LEFT JOIN q USING (agent_key, time_key)
LEFT JOIN a USING (agent_key, time_key)
LEFT JOIN t USING (agent_key, time_key);
