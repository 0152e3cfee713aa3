
SELECT
  d.month_name,
  COUNT(*) AS total_approvals,
  ROUND(AVG(f.resolution_time_seconds) / 60, 2) AS avg_resolution_minutes,
  ROUND(100.0 * COUNT(*) FILTER (WHERE f.status = 'approved') / COUNT(*), 2) AS approval_rate_pct,
  ROUND(100.0 * COUNT(*) FILTER (WHERE f.sla_met = true) / COUNT(*), 2) AS sla_compliance_pct
FROM fact_approval f
JOIN dim_time d ON f.time_key = d.time_key
WHERE d.year = :year
GROUP BY d.month, d.month_name
ORDER BY d.month;
