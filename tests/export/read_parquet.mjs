// Reads every table of a Parquet export with DuckDB (@duckdb/node-api) and prints it as JSON
// lines, for tests/export/compare.py: first a header {"table", "columns": [[name, type]...]},
// then one array per row. Values that JSON cannot carry exactly are cast in SQL: decimals to
// their text (DuckDB keeps the scale), timestamps to microseconds since the epoch, dates to
// YYYY-MM-DD; BIGINTs arrive as strings.
//   node read_parquet.mjs OUT TABLE...
import { DuckDBInstance } from '@duckdb/node-api';

const [out, ...tables] = process.argv.slice(2);
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
const facts = new Set(['fact_agent_query', 'fact_approval', 'fact_training']);

function source(t) {
  return facts.has(t)
    ? `read_parquet('${out}/${t}/*/*.parquet', hive_partitioning = true)`
    : `read_parquet('${out}/${t}.parquet')`;
}

function expr(name, type) {
  const q = `"${name}"`;
  if (type.startsWith('DECIMAL')) return `CAST(${q} AS VARCHAR)`;
  if (type.startsWith('TIMESTAMP')) return `CAST(epoch_us(${q}) AS VARCHAR)`;
  if (type === 'DATE') return `CAST(${q} AS VARCHAR)`;
  if (type === 'BIGINT' || type === 'HUGEINT') return `CAST(${q} AS VARCHAR)`;
  if (type === 'JSON') return `CAST(${q} AS VARCHAR)`;
  return q;
}

for (const t of tables) {
  const desc = await con.runAndReadAll(`DESCRIBE SELECT * FROM ${source(t)}`);
  const cols = desc.getRowsJS().map((r) => [r[0], r[1]]);
  console.log(JSON.stringify({ table: t, columns: cols }));
  const sql = `SELECT ${cols.map(([n, ty]) => expr(n, ty)).join(', ')} FROM ${source(t)}`;
  const res = await con.runAndReadAll(sql);
  for (const row of res.getRowsJS())
    console.log(JSON.stringify(row, (k, v) => (typeof v === 'bigint' ? v.toString() : v)));
}
