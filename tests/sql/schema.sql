-- The warehouse schema for the differential tests: the seed's DDL
-- (the original PostgreSQL warehouse; docs/contract.md) with the two fixes reference.sql names:
--   * populate_dim_time's variable current_date (a keyword) is renamed d;
--   * dim_agent.agent_name is not UNIQUE (SCD-2 keeps several versions of a name) but unique
--     among current versions (dim_agent_current_name_uq).
-- plus agg_agent_daily_performance. Run in a database created with LC_COLLATE 'C' so that
-- text orders by bytes, as the engine orders it.

CREATE TABLE dim_agent (
  agent_key SERIAL PRIMARY KEY,
  agent_name TEXT NOT NULL,
  agent_type TEXT NOT NULL CHECK (agent_type IN ('data', 'engineer', 'support', 'marketing', 'ai', 'qa', 'ops')),
  capabilities JSONB DEFAULT '[]'::JSONB,
  sla_target_seconds INTEGER DEFAULT 300,
  cost_per_query_usd NUMERIC(10, 6) DEFAULT 0,
  valid_from TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  valid_to TIMESTAMPTZ,
  is_current BOOLEAN NOT NULL DEFAULT true
);

CREATE UNIQUE INDEX dim_agent_current_name_uq ON dim_agent (agent_name) WHERE is_current;
CREATE INDEX dim_agent_name_idx ON dim_agent (agent_name);
CREATE INDEX dim_agent_type_idx ON dim_agent (agent_type);
CREATE INDEX dim_agent_current_idx ON dim_agent (is_current) WHERE is_current = true;

CREATE TABLE dim_time (
  time_key INTEGER PRIMARY KEY,
  full_date DATE NOT NULL UNIQUE,
  year INTEGER NOT NULL,
  quarter INTEGER NOT NULL,
  month INTEGER NOT NULL,
  week INTEGER NOT NULL,
  day_of_month INTEGER NOT NULL,
  day_of_week INTEGER NOT NULL,
  day_of_year INTEGER NOT NULL,
  day_name TEXT NOT NULL,
  month_name TEXT NOT NULL,
  is_weekend BOOLEAN NOT NULL,
  is_holiday BOOLEAN NOT NULL DEFAULT false,
  fiscal_year INTEGER,
  fiscal_quarter INTEGER,
  hour INTEGER,
  minute INTEGER
);

CREATE INDEX dim_time_date_idx ON dim_time (full_date);
CREATE INDEX dim_time_year_month_idx ON dim_time (year, month);
CREATE INDEX dim_time_week_idx ON dim_time (year, week);

CREATE OR REPLACE FUNCTION populate_dim_time(start_date DATE, end_date DATE)
RETURNS void AS $$
DECLARE
  d DATE := start_date;
BEGIN
  WHILE d <= end_date LOOP
    INSERT INTO dim_time (
      time_key, full_date, year, quarter, month, week,
      day_of_month, day_of_week, day_of_year, day_name, month_name, is_weekend
    ) VALUES (
      TO_CHAR(d, 'YYYYMMDD')::INTEGER,
      d,
      EXTRACT(YEAR FROM d),
      EXTRACT(QUARTER FROM d),
      EXTRACT(MONTH FROM d),
      EXTRACT(WEEK FROM d),
      EXTRACT(DAY FROM d),
      EXTRACT(DOW FROM d),
      EXTRACT(DOY FROM d),
      TO_CHAR(d, 'Day'),
      TO_CHAR(d, 'Month'),
      EXTRACT(DOW FROM d) IN (0, 6)
    ) ON CONFLICT (full_date) DO NOTHING;

    d := d + INTERVAL '1 day';
  END LOOP;
END;
$$ LANGUAGE plpgsql;

CREATE TABLE dim_conversation (
  conv_key SERIAL PRIMARY KEY,
  conversation_id TEXT NOT NULL UNIQUE,
  first_seen_at TIMESTAMPTZ NOT NULL,
  last_seen_at TIMESTAMPTZ NOT NULL,
  total_queries INTEGER DEFAULT 0,
  total_approvals INTEGER DEFAULT 0,
  total_feedback INTEGER DEFAULT 0,
  metadata JSONB DEFAULT '{}'::JSONB
);

CREATE INDEX dim_conversation_id_idx ON dim_conversation (conversation_id);
CREATE INDEX dim_conversation_first_seen_idx ON dim_conversation (first_seen_at);

CREATE TABLE dim_user (
  user_key SERIAL PRIMARY KEY,
  user_id TEXT NOT NULL UNIQUE,
  user_type TEXT NOT NULL CHECK (user_type IN ('annotator', 'approver', 'qa_team', 'operator')),
  team TEXT,
  valid_from TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  valid_to TIMESTAMPTZ,
  is_current BOOLEAN NOT NULL DEFAULT true
);

CREATE INDEX dim_user_id_idx ON dim_user (user_id);
CREATE INDEX dim_user_type_idx ON dim_user (user_type);
CREATE INDEX dim_user_current_idx ON dim_user (is_current) WHERE is_current = true;

CREATE TABLE fact_agent_query (
  query_key BIGSERIAL PRIMARY KEY,
  agent_key INTEGER NOT NULL REFERENCES dim_agent(agent_key),
  time_key INTEGER NOT NULL REFERENCES dim_time(time_key),
  conv_key INTEGER NOT NULL REFERENCES dim_conversation(conv_key),
  query_hash TEXT NOT NULL,
  result_size_bytes INTEGER,
  latency_ms INTEGER NOT NULL,
  approved BOOLEAN,
  human_edited BOOLEAN NOT NULL DEFAULT false,
  error_occurred BOOLEAN NOT NULL DEFAULT false,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE INDEX fact_agent_query_agent_idx ON fact_agent_query (agent_key, time_key);
CREATE INDEX fact_agent_query_time_idx ON fact_agent_query (time_key);
CREATE INDEX fact_agent_query_conv_idx ON fact_agent_query (conv_key);
CREATE INDEX fact_agent_query_created_idx ON fact_agent_query (created_at DESC);
CREATE INDEX fact_agent_query_latency_idx ON fact_agent_query (latency_ms DESC) WHERE latency_ms > 100;

CREATE TABLE fact_approval (
  approval_key BIGSERIAL PRIMARY KEY,
  agent_key INTEGER REFERENCES dim_agent(agent_key),
  time_key INTEGER NOT NULL REFERENCES dim_time(time_key),
  conv_key INTEGER NOT NULL REFERENCES dim_conversation(conv_key),
  approved_by_key INTEGER REFERENCES dim_user(user_key),
  status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
  resolution_time_seconds INTEGER,
  interruption_count INTEGER DEFAULT 0,
  sla_met BOOLEAN,
  created_at TIMESTAMPTZ NOT NULL,
  resolved_at TIMESTAMPTZ
);

CREATE INDEX fact_approval_agent_idx ON fact_approval (agent_key, time_key);
CREATE INDEX fact_approval_time_idx ON fact_approval (time_key);
CREATE INDEX fact_approval_status_idx ON fact_approval (status);
CREATE INDEX fact_approval_sla_idx ON fact_approval (sla_met) WHERE sla_met = false;
CREATE INDEX fact_approval_created_idx ON fact_approval (created_at DESC);

CREATE TABLE fact_training (
  training_key BIGSERIAL PRIMARY KEY,
  agent_key INTEGER REFERENCES dim_agent(agent_key),
  time_key INTEGER NOT NULL REFERENCES dim_time(time_key),
  conv_key INTEGER NOT NULL REFERENCES dim_conversation(conv_key),
  annotator_key INTEGER REFERENCES dim_user(user_key),
  safe_to_send BOOLEAN,
  clarity_score INTEGER CHECK (clarity_score BETWEEN 1 AND 5),
  accuracy_score INTEGER CHECK (accuracy_score BETWEEN 1 AND 5),
  tone_score INTEGER CHECK (tone_score BETWEEN 1 AND 5),
  overall_score NUMERIC(3, 2) GENERATED ALWAYS AS (
    (COALESCE(clarity_score, 0) + COALESCE(accuracy_score, 0) + COALESCE(tone_score, 0)) / 3.0
  ) STORED,
  labels TEXT[] DEFAULT '{}',
  created_at TIMESTAMPTZ NOT NULL,
  annotated_at TIMESTAMPTZ
);

CREATE INDEX fact_training_agent_idx ON fact_training (agent_key, time_key);
CREATE INDEX fact_training_time_idx ON fact_training (time_key);
CREATE INDEX fact_training_annotator_idx ON fact_training (annotator_key);
CREATE INDEX fact_training_safe_idx ON fact_training (safe_to_send) WHERE safe_to_send = false;
CREATE INDEX fact_training_score_idx ON fact_training (overall_score DESC);
CREATE INDEX fact_training_labels_gin ON fact_training USING GIN (labels);

CREATE TABLE agg_agent_daily_performance (
  agent_key INTEGER NOT NULL REFERENCES dim_agent(agent_key),
  time_key INTEGER NOT NULL REFERENCES dim_time(time_key),
  total_queries INTEGER NOT NULL,
  avg_latency_ms NUMERIC(10, 2),
  p95_latency_ms NUMERIC(10, 2),
  approval_rate_pct NUMERIC(5, 2),
  edit_rate_pct NUMERIC(5, 2),
  error_rate_pct NUMERIC(5, 2),
  total_approvals INTEGER,
  total_feedback INTEGER,
  unsafe_feedback_count INTEGER,
  sla_compliance_pct NUMERIC(5, 2),
  PRIMARY KEY (agent_key, time_key)
);

CREATE INDEX agg_agent_daily_time_idx ON agg_agent_daily_performance (time_key);

-- COPY FROM cannot write a generated column, and the generator's exports (like
-- COPY (SELECT * ...) TO) carry overall_score: fact_training is loaded through this staging
-- table, whose overall_score is a plain column, and the export proves the values agree.
CREATE TABLE stage_fact_training (LIKE fact_training);
