-- Fixtures of tests/etl/test_dump.c: real PostgreSQL 15 exports of the seed's tables with
-- awkward values (escapes, quotes, NULL vs empty, offsets, jsonb, text[] forms).
-- Regenerate: psql -f make_fixtures.sql, then for each table t with key k:
--   COPY (SELECT * FROM t ORDER BY k) TO '.../t.copy';
--   COPY (SELECT * FROM t ORDER BY k) TO '.../t.csv' WITH (FORMAT csv, HEADER);
--   and for fact_training also COPY (SELECT <every column but overall_score> ... ORDER BY 1)
--   to fact_training.plain.copy and .plain.csv: what `COPY fact_training TO` writes, in key order.
-- The session runs with TimeZone UTC (set below), DateStyle ISO.
DROP TABLE IF EXISTS fact_training, fact_approval, fact_agent_query, agg_agent_daily_performance, dim_agent, dim_time, dim_conversation, dim_user CASCADE;
CREATE TABLE dim_agent (agent_key SERIAL PRIMARY KEY, agent_name TEXT NOT NULL, agent_type TEXT NOT NULL CHECK (agent_type IN ('data','engineer','support','marketing','ai','qa','ops')), capabilities JSONB DEFAULT '[]'::JSONB, sla_target_seconds INTEGER DEFAULT 300, cost_per_query_usd NUMERIC(10,6) DEFAULT 0, valid_from TIMESTAMPTZ NOT NULL DEFAULT NOW(), valid_to TIMESTAMPTZ, is_current BOOLEAN NOT NULL DEFAULT true);
CREATE TABLE dim_time (time_key INTEGER PRIMARY KEY, full_date DATE NOT NULL UNIQUE, year INTEGER NOT NULL, quarter INTEGER NOT NULL, month INTEGER NOT NULL, week INTEGER NOT NULL, day_of_month INTEGER NOT NULL, day_of_week INTEGER NOT NULL, day_of_year INTEGER NOT NULL, day_name TEXT NOT NULL, month_name TEXT NOT NULL, is_weekend BOOLEAN NOT NULL, is_holiday BOOLEAN NOT NULL DEFAULT false, fiscal_year INTEGER, fiscal_quarter INTEGER, hour INTEGER, minute INTEGER);
CREATE TABLE dim_conversation (conv_key SERIAL PRIMARY KEY, conversation_id TEXT NOT NULL UNIQUE, first_seen_at TIMESTAMPTZ NOT NULL, last_seen_at TIMESTAMPTZ NOT NULL, total_queries INTEGER DEFAULT 0, total_approvals INTEGER DEFAULT 0, total_feedback INTEGER DEFAULT 0, metadata JSONB DEFAULT '{}'::JSONB);
CREATE TABLE dim_user (user_key SERIAL PRIMARY KEY, user_id TEXT NOT NULL UNIQUE, user_type TEXT NOT NULL CHECK (user_type IN ('annotator','approver','qa_team','operator')), team TEXT, valid_from TIMESTAMPTZ NOT NULL DEFAULT NOW(), valid_to TIMESTAMPTZ, is_current BOOLEAN NOT NULL DEFAULT true);
CREATE TABLE fact_agent_query (query_key BIGSERIAL PRIMARY KEY, agent_key INTEGER NOT NULL, time_key INTEGER NOT NULL, conv_key INTEGER NOT NULL, query_hash TEXT NOT NULL, result_size_bytes INTEGER, latency_ms INTEGER NOT NULL, approved BOOLEAN, human_edited BOOLEAN NOT NULL DEFAULT false, error_occurred BOOLEAN NOT NULL DEFAULT false, created_at TIMESTAMPTZ NOT NULL DEFAULT NOW());
CREATE TABLE fact_approval (approval_key BIGSERIAL PRIMARY KEY, agent_key INTEGER, time_key INTEGER NOT NULL, conv_key INTEGER NOT NULL, approved_by_key INTEGER, status TEXT NOT NULL CHECK (status IN ('pending','approved','rejected','expired')), resolution_time_seconds INTEGER, interruption_count INTEGER DEFAULT 0, sla_met BOOLEAN, created_at TIMESTAMPTZ NOT NULL, resolved_at TIMESTAMPTZ);
CREATE TABLE fact_training (training_key BIGSERIAL PRIMARY KEY, agent_key INTEGER, time_key INTEGER NOT NULL, conv_key INTEGER NOT NULL, annotator_key INTEGER, safe_to_send BOOLEAN, clarity_score INTEGER CHECK (clarity_score BETWEEN 1 AND 5), accuracy_score INTEGER CHECK (accuracy_score BETWEEN 1 AND 5), tone_score INTEGER CHECK (tone_score BETWEEN 1 AND 5), overall_score NUMERIC(3,2) GENERATED ALWAYS AS ((COALESCE(clarity_score,0)+COALESCE(accuracy_score,0)+COALESCE(tone_score,0))/3.0) STORED, labels TEXT[] DEFAULT '{}', created_at TIMESTAMPTZ NOT NULL, annotated_at TIMESTAMPTZ);
CREATE TABLE agg_agent_daily_performance (agent_key INTEGER NOT NULL, time_key INTEGER NOT NULL, total_queries INTEGER NOT NULL, avg_latency_ms NUMERIC(10,2), p95_latency_ms NUMERIC(10,2), approval_rate_pct NUMERIC(5,2), edit_rate_pct NUMERIC(5,2), error_rate_pct NUMERIC(5,2), total_approvals INTEGER, total_feedback INTEGER, unsafe_feedback_count INTEGER, sla_compliance_pct NUMERIC(5,2), PRIMARY KEY (agent_key, time_key));
SET timezone='UTC';
INSERT INTO dim_agent (agent_name, agent_type, capabilities, sla_target_seconds, cost_per_query_usd, valid_from, valid_to, is_current) VALUES
 ('data','data','["query", "analytics", "schema"]',300,0.0125,'2025-01-01','2025-02-01 10:00:00.5+05:30',false),
 ('data','data','{"b": [1, 2.50, {"x": null}], "a": "é\n\t\\"}',NULL,NULL,'2025-02-01 04:30:00.5+00',NULL,true),
 (E'tab\there', 'ops', NULL, 0, 9999.999999, '2025-01-01 23:59:59.999999-08', NULL, true),
 (E'back\\slash,"quoted"\r\nnew', 'qa', '[]', -5, -0.000001, '1999-12-31 00:00:00+14', NULL, true),
 ('', 'ai', '{}', 2147483647, 0, '2025-06-01', NULL, true),
 ('\.', 'ops', '"\\."', 1, 1, '2025-06-01', NULL, true),
 (E'ctrl\x01\x7fé€😀', 'support', '[1e3, -0.5, true]', 1, 1, '2025-06-01', NULL, true);
INSERT INTO dim_time (time_key, full_date, year, quarter, month, week, day_of_month, day_of_week, day_of_year, day_name, month_name, is_weekend, fiscal_year, fiscal_quarter, hour, minute)
 SELECT TO_CHAR(d,'YYYYMMDD')::int, d, EXTRACT(YEAR FROM d), EXTRACT(QUARTER FROM d), EXTRACT(MONTH FROM d), EXTRACT(WEEK FROM d), EXTRACT(DAY FROM d), EXTRACT(DOW FROM d), EXTRACT(DOY FROM d), TO_CHAR(d,'Day'), TO_CHAR(d,'Month'), EXTRACT(DOW FROM d) IN (0,6), CASE WHEN EXTRACT(DAY FROM d)=1 THEN NULL ELSE 2025 END, NULL, NULL, 0
 FROM generate_series('2024-12-25'::date, '2025-03-10'::date, '1 day') d;
INSERT INTO dim_conversation (conversation_id, first_seen_at, last_seen_at, total_queries, metadata) VALUES
 ('conv-1', '2025-03-04 10:00:00+00', '2025-03-04 11:00:00.000001+00', 3, '{}'),
 (E'conv "2",\nx', '2025-03-04 10:00:00-02:30', '2025-03-04 11:00:00+00', NULL, NULL),
 ('conv-3', '2025-03-04 10:00:00+00', '2025-03-04 11:00:00+00', 0, '{"k": "v", "n": 12345678901234567890.5}');
INSERT INTO dim_user (user_id, user_type, team, valid_from) VALUES ('u1','annotator',NULL,'2025-01-01'),('u 2','approver','', '2025-01-01'),('NULL','qa_team','NULL','2025-01-01'),('u4','operator','x,y','2025-01-01');
INSERT INTO fact_agent_query (agent_key, time_key, conv_key, query_hash, result_size_bytes, latency_ms, approved, human_edited, error_occurred, created_at)
 SELECT 1 + g % 7, 20250304, 1 + g % 3, md5(g::text), CASE WHEN g % 5 = 0 THEN NULL ELSE g * 17 END, (g * 7919) % 30000, CASE g % 3 WHEN 0 THEN NULL WHEN 1 THEN true ELSE false END, g % 2 = 0, g % 11 = 0,
   '2025-03-04 00:00:00+00'::timestamptz + (g * interval '1.234567 seconds') + (g % 7) * interval '1 microsecond'
 FROM generate_series(1, 300) g;
INSERT INTO fact_approval (agent_key, time_key, conv_key, approved_by_key, status, resolution_time_seconds, interruption_count, sla_met, created_at, resolved_at)
 SELECT CASE WHEN g % 9 = 0 THEN NULL ELSE 1 + g % 7 END, 20250304, 1 + g % 3, CASE WHEN g % 4 = 0 THEN NULL ELSE 1 + g % 4 END, (ARRAY['pending','approved','rejected','expired'])[1 + g % 4], CASE WHEN g % 4 = 0 THEN NULL ELSE g * 3 END, CASE WHEN g % 6 = 0 THEN NULL ELSE g % 3 END, CASE g % 3 WHEN 0 THEN NULL WHEN 1 THEN true ELSE false END,
   '2025-03-04 00:00:00+00'::timestamptz + g * interval '13 seconds', CASE WHEN g % 4 = 0 THEN NULL ELSE '2025-03-04 00:00:00+00'::timestamptz + g * interval '13.5 seconds' END
 FROM generate_series(1, 300) g;
INSERT INTO fact_training (agent_key, time_key, conv_key, annotator_key, safe_to_send, clarity_score, accuracy_score, tone_score, labels, created_at, annotated_at)
 SELECT CASE WHEN g % 9 = 0 THEN NULL ELSE 1 + g % 7 END, 20250304, 1 + g % 3, CASE WHEN g % 5 = 0 THEN NULL ELSE 1 + g % 4 END, CASE g % 3 WHEN 0 THEN NULL WHEN 1 THEN true ELSE false END,
   CASE WHEN g % 7 = 0 THEN NULL ELSE 1 + g % 5 END, CASE WHEN g % 8 = 0 THEN NULL ELSE 1 + (g / 3) % 5 END, 1 + (g / 7) % 5,
   (ARRAY['{}', '{a,b}', '{"needs review","x,y",NULL,"NULL"}', E'{"q\\"uote","back\\\\slash","tab\there",""}', '{{a,b},{c,d}}', NULL, '{é,"{}"}'])[1 + g % 7]::text[],
   '2025-03-04 00:00:00+00'::timestamptz + g * interval '17 seconds', CASE WHEN g % 2 = 0 THEN NULL ELSE '2025-03-04 12:00:00+01'::timestamptz END
 FROM generate_series(1, 300) g;
INSERT INTO agg_agent_daily_performance VALUES (1, 20250304, 10, 123.45, 999.99, 100.00, 0.00, 33.33, NULL, 0, 0, NULL), (2, 20250304, 1, -0.01, NULL, NULL, 5.5, 99.99, 1, 2, 3, 50);
