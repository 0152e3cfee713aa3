-- What tests/diff/run.sh asks of colgen's data once it is in PostgreSQL: the generated rows
-- keep the warehouse's own rules, and the awkward cases the differential test relies on are
-- really there. One row per check: name|t or name|f. Variables: :min_rows (checks needing
-- volume run only from that many query rows).
SELECT 'facts reference the agent version valid at created_at', NOT EXISTS (
  SELECT 1 FROM (
    SELECT agent_key, created_at FROM fact_agent_query
    UNION ALL SELECT agent_key, created_at FROM fact_approval WHERE agent_key IS NOT NULL
    UNION ALL SELECT agent_key, created_at FROM fact_training WHERE agent_key IS NOT NULL) f
  JOIN dim_agent a USING (agent_key)
  WHERE NOT (a.valid_from <= f.created_at AND f.created_at < COALESCE(a.valid_to, 'infinity')));
SELECT 'time_key is the UTC date of created_at', NOT EXISTS (
  SELECT 1 FROM (
    SELECT time_key, created_at FROM fact_agent_query
    UNION ALL SELECT time_key, created_at FROM fact_approval
    UNION ALL SELECT time_key, created_at FROM fact_training) f
  WHERE f.time_key <> to_char(f.created_at AT TIME ZONE 'UTC', 'YYYYMMDD')::int);
SELECT 'fact keys ascend with created_at', NOT EXISTS (
  SELECT 1 FROM (SELECT created_at < lag(created_at) OVER (ORDER BY query_key) AS back
                 FROM fact_agent_query) x WHERE back);
SELECT 'conversation totals and first/last seen match the facts', NOT EXISTS (
  SELECT 1 FROM dim_conversation c
  LEFT JOIN (SELECT conv_key, count(*) FILTER (WHERE k = 1) AS q, count(*) FILTER (WHERE k = 2) AS a,
                    count(*) FILTER (WHERE k = 3) AS t, min(created_at) AS lo, max(created_at) AS hi
             FROM (SELECT conv_key, created_at, 1 AS k FROM fact_agent_query
                   UNION ALL SELECT conv_key, created_at, 2 FROM fact_approval
                   UNION ALL SELECT conv_key, created_at, 3 FROM fact_training) u
             GROUP BY conv_key) f USING (conv_key)
  WHERE f.conv_key IS NOT NULL AND (c.total_queries, c.total_approvals, c.total_feedback,
        c.first_seen_at, c.last_seen_at) IS DISTINCT FROM (f.q::int, f.a::int, f.t::int, f.lo, f.hi));
SELECT 'one current version per agent, SCD-2 history present',
  (SELECT count(DISTINCT agent_name) FROM dim_agent) = (SELECT count(*) FROM dim_agent WHERE is_current)
  AND EXISTS (SELECT 1 FROM dim_agent GROUP BY agent_name HAVING count(*) >= 3);
SELECT 'sla_met agrees with the agent version', NOT EXISTS (
  SELECT 1 FROM fact_approval f LEFT JOIN dim_agent a USING (agent_key)
  WHERE f.sla_met IS DISTINCT FROM (f.resolution_time_seconds <= a.sla_target_seconds));
SELECT 'resolution_time_seconds = floor(resolved_at - created_at)', NOT EXISTS (
  SELECT 1 FROM fact_approval
  WHERE resolution_time_seconds IS DISTINCT FROM floor(extract(epoch FROM resolved_at - created_at))::int
     OR (status = 'pending') <> (resolved_at IS NULL));
SELECT 'every user type', (SELECT count(DISTINCT user_type) FROM dim_user) = 4;
SELECT 'awkward text: quotes, commas, backslashes, tabs, newlines, UTF-8',
  EXISTS (SELECT 1 FROM dim_user WHERE user_id LIKE '%"%') AND EXISTS (SELECT 1 FROM dim_user WHERE user_id LIKE '%,%')
  AND EXISTS (SELECT 1 FROM dim_user WHERE strpos(user_id, E'\\') > 0)
  AND EXISTS (SELECT 1 FROM dim_user WHERE strpos(team, E'\t') > 0) AND EXISTS (SELECT 1 FROM dim_user WHERE strpos(team, E'\n') > 0)
  AND EXISTS (SELECT 1 FROM dim_user WHERE team = '') AND EXISTS (SELECT 1 FROM dim_user WHERE octet_length(user_id) > length(user_id))
  AND EXISTS (SELECT 1 FROM dim_agent WHERE agent_name LIKE '%,%');
SELECT 'NULL in nullable fact columns',
  EXISTS (SELECT 1 FROM fact_agent_query WHERE approved IS NULL) AND EXISTS (SELECT 1 FROM fact_agent_query WHERE result_size_bytes IS NULL)
  AND EXISTS (SELECT 1 FROM fact_approval WHERE approved_by_key IS NULL AND status <> 'pending')
  AND EXISTS (SELECT 1 FROM fact_training WHERE safe_to_send IS NULL)
  AND EXISTS (SELECT 1 FROM fact_training WHERE clarity_score IS NULL)
  AND EXISTS (SELECT 1 FROM fact_training WHERE annotator_key IS NULL OR agent_key IS NULL)
  OR (SELECT count(*) FROM fact_agent_query) < :min_rows;
SELECT 'labels: empty, NULL, NULL element, quoted elements',
  EXISTS (SELECT 1 FROM fact_training WHERE labels = '{}') AND EXISTS (SELECT 1 FROM fact_training WHERE labels IS NULL)
  AND EXISTS (SELECT 1 FROM fact_training WHERE array_position(labels, NULL) IS NOT NULL)
  AND EXISTS (SELECT 1 FROM fact_training WHERE labels::text LIKE '%"%')
  OR (SELECT count(*) FROM fact_agent_query) < :min_rows;
SELECT 'long-tail latencies (some over 60 s) and days with one query',
  EXISTS (SELECT 1 FROM fact_agent_query WHERE latency_ms > 60000)
  AND EXISTS (SELECT 1 FROM fact_agent_query GROUP BY time_key HAVING count(*) = 1)
  OR (SELECT count(*) FROM fact_agent_query) < :min_rows;
SELECT 'timestamps with 0 to 6 fractional digits', (
  SELECT count(DISTINCT length(substring(created_at::text FROM '\.(\d+)'))) FROM fact_agent_query) = 6
  AND EXISTS (SELECT 1 FROM fact_agent_query WHERE created_at::text NOT LIKE '%.%')
  OR (SELECT count(*) FROM fact_agent_query) < :min_rows;
