
SELECT
  d.full_date,
  a.agent_name,
  COUNT(*) AS total_queries,
  ROUND(AVG(f.latency_ms), 2) AS avg_latency_ms,
  ROUND(100.0 * COUNT(*) FILTER (WHERE f.approved = true) / COUNT(*), 2) AS approval_rate_pct,
  ROUND(100.0 * COUNT(*) FILTER (WHERE f.human_edited = true) / COUNT(*), 2) AS edit_rate_pct
FROM fact_agent_query f
JOIN dim_agent a ON f.agent_key = a.agent_key
JOIN dim_time d ON f.time_key = d.time_key
WHERE d.full_date BETWEEN :'as_of'::date - :days AND :'as_of'::date
GROUP BY d.full_date, a.agent_name
ORDER BY d.full_date DESC, a.agent_name COLLATE "C";
