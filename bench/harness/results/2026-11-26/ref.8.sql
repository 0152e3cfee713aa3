
SELECT * FROM agg_agent_daily_performance
WHERE time_key BETWEEN to_char(:'from'::date, 'YYYYMMDD')::int AND to_char(:'to'::date, 'YYYYMMDD')::int
ORDER BY time_key, agent_key;
