-- The nightly job of docs/contract.md as SQL (the seed's "ETL 1" and "ETL 2", completed), for the
-- differential test: one night's exports in the stage_* tables (nightly_schema.sql) into the
-- warehouse, in one transaction. psql variable :load_time is the load time. Any bad input
-- raises, and the whole night rolls back.
\set ON_ERROR_STOP 1
BEGIN;
SET LOCAL TimeZone = 'UTC';

-- 1. agents: SCD type 2 (every attribute carried; new versions keyed by agent_name bytewise)
CREATE TEMP TABLE chg ON COMMIT DROP AS
SELECT s.* FROM stage_agents s
LEFT JOIN dim_agent d ON d.agent_name = s.agent_name AND d.is_current
WHERE d.agent_key IS NULL
   OR (d.agent_type, d.capabilities, d.sla_target_seconds, d.cost_per_query_usd)
      IS DISTINCT FROM (s.agent_type, s.capabilities, s.sla_target_seconds, s.cost_per_query_usd);
UPDATE dim_agent d SET valid_to = :'load_time', is_current = false
FROM chg WHERE d.agent_name = chg.agent_name AND d.is_current;
INSERT INTO dim_agent (agent_key, agent_name, agent_type, capabilities, sla_target_seconds,
  cost_per_query_usd, valid_from, valid_to, is_current)
SELECT (SELECT COALESCE(max(agent_key), 0) FROM dim_agent)
         + row_number() OVER (ORDER BY agent_name COLLATE "C"),
  agent_name, agent_type, capabilities, sla_target_seconds, cost_per_query_usd,
  :'load_time', NULL, true
FROM chg;

-- 2. the night's new rows: ids not loaded before
CREATE TEMP TABLE nq ON COMMIT DROP AS
SELECT * FROM stage_queries s WHERE NOT EXISTS (SELECT 1 FROM etl_src_query e WHERE e.source_id = s.id);
CREATE TEMP TABLE na ON COMMIT DROP AS
SELECT * FROM stage_approvals s WHERE NOT EXISTS (SELECT 1 FROM etl_src_approval e WHERE e.source_id = s.id);
CREATE TEMP TABLE nf ON COMMIT DROP AS
SELECT * FROM stage_feedback s WHERE NOT EXISTS (SELECT 1 FROM etl_src_training e WHERE e.source_id = s.id);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM (SELECT agent FROM nq UNION ALL SELECT agent FROM na
                            UNION ALL SELECT agent FROM nf) x
             WHERE agent IS NOT NULL AND NOT EXISTS (SELECT 1 FROM dim_agent d WHERE d.agent_name = x.agent)) THEN
    RAISE EXCEPTION 'an agent with no dim_agent version';
  END IF;
  IF EXISTS (SELECT 1 FROM na WHERE resolved_at < created_at) THEN
    RAISE EXCEPTION 'resolved_at before created_at';
  END IF;
END $$;

-- 3. conversations: inserted in the order of the first row that mentions them (queries, then
-- approvals, then feedback, each by id); then first/last seen and counters of every one
CREATE TEMP TABLE m ON COMMIT DROP AS
SELECT conversation_id, created_at, 1 AS src, id FROM nq
UNION ALL SELECT conversation_id, created_at, 2, id FROM na
UNION ALL SELECT conversation_id, created_at, 3, id FROM nf;
INSERT INTO dim_conversation (conv_key, conversation_id, first_seen_at, last_seen_at,
  total_queries, total_approvals, total_feedback, metadata)
SELECT (SELECT COALESCE(max(conv_key), 0) FROM dim_conversation) + row_number() OVER (ORDER BY src, id),
  conversation_id, created_at, created_at, 0, 0, 0, '{}'
FROM (SELECT DISTINCT ON (conversation_id) * FROM m ORDER BY conversation_id, src, id) f
WHERE NOT EXISTS (SELECT 1 FROM dim_conversation c WHERE c.conversation_id = f.conversation_id);
UPDATE dim_conversation c SET
  first_seen_at = LEAST(c.first_seen_at, x.lo), last_seen_at = GREATEST(c.last_seen_at, x.hi),
  total_queries = c.total_queries + x.nq, total_approvals = c.total_approvals + x.na,
  total_feedback = c.total_feedback + x.nf
FROM (SELECT conversation_id, min(created_at) AS lo, max(created_at) AS hi,
        count(*) FILTER (WHERE src = 1) AS nq, count(*) FILTER (WHERE src = 2) AS na,
        count(*) FILTER (WHERE src = 3) AS nf
      FROM m GROUP BY conversation_id) x
WHERE c.conversation_id = x.conversation_id;

-- 4. users: unknown approvers and annotators, in the order of the first row that mentions them
INSERT INTO dim_user (user_key, user_id, user_type, team, valid_from, valid_to, is_current)
SELECT (SELECT COALESCE(max(user_key), 0) FROM dim_user) + row_number() OVER (ORDER BY src, id),
  user_id, user_type, NULL, :'load_time', NULL, true
FROM (SELECT DISTINCT ON (user_id) * FROM (
        SELECT approved_by AS user_id, 'approver' AS user_type, 2 AS src, id FROM na WHERE approved_by IS NOT NULL
        UNION ALL
        SELECT annotator, 'annotator', 3, id FROM nf WHERE annotator IS NOT NULL) u
      ORDER BY user_id, src, id) f
WHERE NOT EXISTS (SELECT 1 FROM dim_user d WHERE d.user_id = f.user_id);

-- 5. facts, keys after the largest stored, by id; time_key from the UTC date
INSERT INTO fact_agent_query (query_key, agent_key, time_key, conv_key, query_hash,
  result_size_bytes, latency_ms, approved, human_edited, error_occurred, created_at)
SELECT (SELECT COALESCE(max(query_key), 0) FROM fact_agent_query) + row_number() OVER (ORDER BY q.id),
  etl_agent_at(q.agent, q.created_at), to_char(q.created_at, 'YYYYMMDD')::int, c.conv_key,
  md5(q.query), q.result_size_bytes, q.latency_ms, q.approved, q.human_edited, q.error_occurred,
  q.created_at
FROM nq q JOIN dim_conversation c ON c.conversation_id = q.conversation_id;

INSERT INTO fact_approval (approval_key, agent_key, time_key, conv_key, approved_by_key, status,
  resolution_time_seconds, interruption_count, sla_met, created_at, resolved_at)
SELECT (SELECT COALESCE(max(approval_key), 0) FROM fact_approval) + row_number() OVER (ORDER BY x.id),
  x.agent_key, to_char(x.created_at, 'YYYYMMDD')::int, c.conv_key, u.user_key, x.status,
  x.secs, x.interruption_count, x.secs <= d.sla_target_seconds, x.created_at, x.resolved_at
FROM (SELECT a.*, etl_agent_at(a.agent, a.created_at) AS agent_key,
        floor(extract(epoch FROM a.resolved_at - a.created_at))::int AS secs
      FROM na a) x
JOIN dim_conversation c ON c.conversation_id = x.conversation_id
LEFT JOIN dim_user u ON u.user_id = x.approved_by
LEFT JOIN dim_agent d ON d.agent_key = x.agent_key;

INSERT INTO fact_training (training_key, agent_key, time_key, conv_key, annotator_key,
  safe_to_send, clarity_score, accuracy_score, tone_score, labels, created_at, annotated_at)
SELECT (SELECT COALESCE(max(training_key), 0) FROM fact_training) + row_number() OVER (ORDER BY f.id),
  etl_agent_at(f.agent, f.created_at), to_char(f.created_at, 'YYYYMMDD')::int, c.conv_key,
  u.user_key, f.safe_to_send, f.clarity_score, f.accuracy_score, f.tone_score, f.labels,
  f.created_at, f.annotated_at
FROM nf f JOIN dim_conversation c ON c.conversation_id = f.conversation_id
LEFT JOIN dim_user u ON u.user_id = f.annotator;

INSERT INTO etl_src_query SELECT id FROM nq;
INSERT INTO etl_src_approval SELECT id FROM na;
INSERT INTO etl_src_training SELECT id FROM nf;

-- 6. the daily aggregates of every day that got rows (reference.sql's daily-agg, per day)
CREATE TEMP TABLE touched ON COMMIT DROP AS
SELECT DISTINCT to_char(created_at, 'YYYYMMDD')::int AS time_key
FROM (SELECT created_at FROM nq UNION ALL SELECT created_at FROM na UNION ALL SELECT created_at FROM nf) x;
DELETE FROM agg_agent_daily_performance WHERE time_key IN (SELECT time_key FROM touched);
INSERT INTO agg_agent_daily_performance
WITH q AS (
  SELECT f.agent_key, f.time_key,
    COUNT(*) AS total_queries,
    ROUND(AVG(f.latency_ms), 2) AS avg_latency_ms,
    PERCENTILE_CONT(0.95) WITHIN GROUP (ORDER BY f.latency_ms) AS p95_latency_ms,
    ROUND(100.0 * COUNT(*) FILTER (WHERE f.approved = true) / COUNT(*), 2) AS approval_rate_pct,
    ROUND(100.0 * COUNT(*) FILTER (WHERE f.human_edited = true) / COUNT(*), 2) AS edit_rate_pct,
    ROUND(100.0 * COUNT(*) FILTER (WHERE f.error_occurred = true) / COUNT(*), 2) AS error_rate_pct
  FROM fact_agent_query f WHERE f.time_key IN (SELECT time_key FROM touched)
  GROUP BY f.agent_key, f.time_key
), a AS (
  SELECT f.agent_key, f.time_key,
    COUNT(*) AS total_approvals,
    ROUND(100.0 * COUNT(*) FILTER (WHERE f.sla_met = true) / COUNT(*), 2) AS sla_compliance_pct
  FROM fact_approval f WHERE f.agent_key IS NOT NULL AND f.time_key IN (SELECT time_key FROM touched)
  GROUP BY f.agent_key, f.time_key
), t AS (
  SELECT f.agent_key, f.time_key,
    COUNT(*) AS total_feedback,
    COUNT(*) FILTER (WHERE f.safe_to_send = false) AS unsafe_feedback_count
  FROM fact_training f WHERE f.agent_key IS NOT NULL AND f.time_key IN (SELECT time_key FROM touched)
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
LEFT JOIN q ON q.agent_key = k.agent_key AND q.time_key = k.time_key
LEFT JOIN a ON a.agent_key = k.agent_key AND a.time_key = k.time_key
LEFT JOIN t ON t.agent_key = k.agent_key AND t.time_key = k.time_key;
COMMIT;
