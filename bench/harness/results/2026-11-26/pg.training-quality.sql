\o /dev/null

SELECT
  u.user_id AS annotator,
  COUNT(*) AS total_annotations,
  ROUND(AVG(f.overall_score), 2) AS avg_overall_score,
  ROUND(AVG(f.clarity_score), 2) AS avg_clarity,
  ROUND(AVG(f.accuracy_score), 2) AS avg_accuracy,
  ROUND(AVG(f.tone_score), 2) AS avg_tone,
  ROUND(100.0 * COUNT(*) FILTER (WHERE f.safe_to_send = false) / COUNT(*), 2) AS unsafe_rate_pct
FROM fact_training f
JOIN dim_user u ON f.annotator_key = u.user_key
JOIN dim_time d ON f.time_key = d.time_key
WHERE d.full_date BETWEEN :'as_of'::date - :days AND :'as_of'::date
GROUP BY u.user_id
ORDER BY total_annotations DESC, u.user_id COLLATE "C";
\timing on

SELECT
  u.user_id AS annotator,
  COUNT(*) AS total_annotations,
  ROUND(AVG(f.overall_score), 2) AS avg_overall_score,
  ROUND(AVG(f.clarity_score), 2) AS avg_clarity,
  ROUND(AVG(f.accuracy_score), 2) AS avg_accuracy,
  ROUND(AVG(f.tone_score), 2) AS avg_tone,
  ROUND(100.0 * COUNT(*) FILTER (WHERE f.safe_to_send = false) / COUNT(*), 2) AS unsafe_rate_pct
FROM fact_training f
JOIN dim_user u ON f.annotator_key = u.user_key
JOIN dim_time d ON f.time_key = d.time_key
WHERE d.full_date BETWEEN :'as_of'::date - :days AND :'as_of'::date
GROUP BY u.user_id
ORDER BY total_annotations DESC, u.user_id COLLATE "C";

SELECT
  u.user_id AS annotator,
  COUNT(*) AS total_annotations,
  ROUND(AVG(f.overall_score), 2) AS avg_overall_score,
  ROUND(AVG(f.clarity_score), 2) AS avg_clarity,
  ROUND(AVG(f.accuracy_score), 2) AS avg_accuracy,
  ROUND(AVG(f.tone_score), 2) AS avg_tone,
  ROUND(100.0 * COUNT(*) FILTER (WHERE f.safe_to_send = false) / COUNT(*), 2) AS unsafe_rate_pct
FROM fact_training f
JOIN dim_user u ON f.annotator_key = u.user_key
JOIN dim_time d ON f.time_key = d.time_key
WHERE d.full_date BETWEEN :'as_of'::date - :days AND :'as_of'::date
GROUP BY u.user_id
ORDER BY total_annotations DESC, u.user_id COLLATE "C";

SELECT
  u.user_id AS annotator,
  COUNT(*) AS total_annotations,
  ROUND(AVG(f.overall_score), 2) AS avg_overall_score,
  ROUND(AVG(f.clarity_score), 2) AS avg_clarity,
  ROUND(AVG(f.accuracy_score), 2) AS avg_accuracy,
  ROUND(AVG(f.tone_score), 2) AS avg_tone,
  ROUND(100.0 * COUNT(*) FILTER (WHERE f.safe_to_send = false) / COUNT(*), 2) AS unsafe_rate_pct
FROM fact_training f
JOIN dim_user u ON f.annotator_key = u.user_key
JOIN dim_time d ON f.time_key = d.time_key
WHERE d.full_date BETWEEN :'as_of'::date - :days AND :'as_of'::date
GROUP BY u.user_id
ORDER BY total_annotations DESC, u.user_id COLLATE "C";

SELECT
  u.user_id AS annotator,
  COUNT(*) AS total_annotations,
  ROUND(AVG(f.overall_score), 2) AS avg_overall_score,
  ROUND(AVG(f.clarity_score), 2) AS avg_clarity,
  ROUND(AVG(f.accuracy_score), 2) AS avg_accuracy,
  ROUND(AVG(f.tone_score), 2) AS avg_tone,
  ROUND(100.0 * COUNT(*) FILTER (WHERE f.safe_to_send = false) / COUNT(*), 2) AS unsafe_rate_pct
FROM fact_training f
JOIN dim_user u ON f.annotator_key = u.user_key
JOIN dim_time d ON f.time_key = d.time_key
WHERE d.full_date BETWEEN :'as_of'::date - :days AND :'as_of'::date
GROUP BY u.user_id
ORDER BY total_annotations DESC, u.user_id COLLATE "C";

SELECT
  u.user_id AS annotator,
  COUNT(*) AS total_annotations,
  ROUND(AVG(f.overall_score), 2) AS avg_overall_score,
  ROUND(AVG(f.clarity_score), 2) AS avg_clarity,
  ROUND(AVG(f.accuracy_score), 2) AS avg_accuracy,
  ROUND(AVG(f.tone_score), 2) AS avg_tone,
  ROUND(100.0 * COUNT(*) FILTER (WHERE f.safe_to_send = false) / COUNT(*), 2) AS unsafe_rate_pct
FROM fact_training f
JOIN dim_user u ON f.annotator_key = u.user_key
JOIN dim_time d ON f.time_key = d.time_key
WHERE d.full_date BETWEEN :'as_of'::date - :days AND :'as_of'::date
GROUP BY u.user_id
ORDER BY total_annotations DESC, u.user_id COLLATE "C";
