-- The nightly job's PostgreSQL side, for the differential test (tests/diff/nightly.sh), run
-- after schema.sql: the operational tables of the nightly job (docs/contract.md) (what `colload pull` reads), staging
-- tables holding one night's exports (what tests/sql/nightly_etl.sql reads, and what the test
-- exports for `colload nightly`), the operational ids already loaded (the engine keeps them as
-- a hidden column of each fact), and the agent version valid at a time.

CREATE TABLE agents (agent_name TEXT PRIMARY KEY, agent_type TEXT NOT NULL, capabilities JSONB,
  sla_target_seconds INTEGER, cost_per_query_usd NUMERIC(10,6));
CREATE TABLE agent_queries (id BIGINT PRIMARY KEY, agent TEXT NOT NULL, conversation_id TEXT NOT NULL,
  query TEXT NOT NULL, result_size_bytes INTEGER, latency_ms INTEGER NOT NULL, approved BOOLEAN,
  human_edited BOOLEAN NOT NULL DEFAULT false, error_occurred BOOLEAN NOT NULL DEFAULT false,
  created_at TIMESTAMPTZ NOT NULL);
CREATE TABLE agent_approvals (id BIGINT PRIMARY KEY, agent TEXT, conversation_id TEXT NOT NULL,
  approved_by TEXT, status TEXT NOT NULL, interruption_count INTEGER DEFAULT 0,
  created_at TIMESTAMPTZ NOT NULL, resolved_at TIMESTAMPTZ);
CREATE TABLE agent_feedback (id BIGINT PRIMARY KEY, agent TEXT, conversation_id TEXT NOT NULL,
  annotator TEXT, safe_to_send BOOLEAN, clarity_score INTEGER, accuracy_score INTEGER,
  tone_score INTEGER, labels TEXT[] DEFAULT '{}', created_at TIMESTAMPTZ NOT NULL,
  annotated_at TIMESTAMPTZ);

CREATE TABLE stage_agents (LIKE agents INCLUDING ALL);
CREATE TABLE stage_queries (LIKE agent_queries INCLUDING ALL);
CREATE TABLE stage_approvals (LIKE agent_approvals INCLUDING ALL);
CREATE TABLE stage_feedback (LIKE agent_feedback INCLUDING ALL);

CREATE TABLE etl_src_query (source_id BIGINT PRIMARY KEY);
CREATE TABLE etl_src_approval (source_id BIGINT PRIMARY KEY);
CREATE TABLE etl_src_training (source_id BIGINT PRIMARY KEY);

-- docs/contract.md, nightly job: the version with valid_from <= ts < coalesce(valid_to, infinity) (the newest such);
-- when none, the first version; NULL when the name has none.
CREATE FUNCTION etl_agent_at(name TEXT, ts TIMESTAMPTZ) RETURNS INTEGER LANGUAGE sql STABLE AS $$
  SELECT COALESCE(
    (SELECT agent_key FROM dim_agent WHERE agent_name = name AND valid_from <= ts
       AND ts < COALESCE(valid_to, 'infinity') ORDER BY valid_from DESC, agent_key DESC LIMIT 1),
    (SELECT agent_key FROM dim_agent WHERE agent_name = name ORDER BY valid_from, agent_key LIMIT 1))
$$;
