COPY dim_agent FROM '/work/bench-data/data-10000000/exports/dim_agent.csv' WITH (FORMAT csv, HEADER);
COPY dim_time FROM '/work/bench-data/data-10000000/exports/dim_time.csv' WITH (FORMAT csv, HEADER);
COPY dim_conversation FROM '/work/bench-data/data-10000000/exports/dim_conversation.csv' WITH (FORMAT csv, HEADER);
COPY dim_user FROM '/work/bench-data/data-10000000/exports/dim_user.csv' WITH (FORMAT csv, HEADER);
COPY fact_agent_query FROM '/work/bench-data/data-10000000/exports/fact_agent_query.csv' WITH (FORMAT csv, HEADER);
COPY fact_approval FROM '/work/bench-data/data-10000000/exports/fact_approval.csv' WITH (FORMAT csv, HEADER);
COPY stage_fact_training FROM '/work/bench-data/data-10000000/exports/fact_training.csv' WITH (FORMAT csv, HEADER);
INSERT INTO fact_training (training_key, agent_key, time_key, conv_key, annotator_key,
  safe_to_send, clarity_score, accuracy_score, tone_score, labels, created_at, annotated_at)
SELECT training_key, agent_key, time_key, conv_key, annotator_key, safe_to_send, clarity_score,
  accuracy_score, tone_score, labels, created_at, annotated_at FROM stage_fact_training;
TRUNCATE stage_fact_training;
SELECT pg_backend_pid() AS bpid \gset
\setenv BPID :bpid
\! grep VmHWM /proc/$BPID/status
