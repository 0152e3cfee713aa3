// Reads every table of a Parquet export with ClickHouse (chdb, from npm) and prints it as JSON
// lines for tests/export/compare.py, in read_parquet.mjs's shape: a header with the columns
// and the reader's types (named as DuckDB names them, so that compare.py knows them), then one
// array per row. Fact tables are read from their day files (each file holds time_key too).
//   node read_parquet_chdb.mjs OUT TABLE...
import { query } from 'chdb';

const [out, ...tables] = process.argv.slice(2);
// jsonb holds arrays and scalars too; ClickHouse's JSON type takes objects only: read as text.
const SETTINGS = ' SETTINGS input_format_parquet_enable_json_parsing = 0';
const facts = new Set(['fact_agent_query', 'fact_approval', 'fact_training']);

function source(t) {
  return facts.has(t) ? `file('${out}/${t}/*/*.parquet', Parquet)` : `file('${out}/${t}.parquet', Parquet)`;
}

// ClickHouse type -> [expression, the type name compare.py expects]
function column(name, type) {
  const q = `\`${name}\``;
  const t = type.replace(/^Nullable\((.*)\)$/, '$1');
  if (/^Int(8|16|32)$/.test(t)) return [q, 'INTEGER'];
  if (t === 'Int64') return [`toString(${q})`, 'BIGINT'];
  if (t.startsWith('Decimal')) return [`toString(${q})`, 'DECIMAL'];
  if (t.startsWith('DateTime64')) return [`toString(toUnixTimestamp64Micro(${q}))`, 'TIMESTAMP WITH TIME ZONE'];
  if (t.startsWith('Date')) return [`toString(${q})`, 'DATE'];
  if (t === 'Bool') return [q, 'BOOLEAN'];
  if (t.startsWith('Array(')) return [q, 'VARCHAR[]'];
  return [`toString(${q})`, 'VARCHAR'];
}

for (const t of tables) {
  const text = query(`DESCRIBE TABLE ${source(t)}${SETTINGS}`, 'JSONCompactEachRow');
  const cols = text.trim().split('\n').map((l) => JSON.parse(l)).map((r) => [r[0], r[1]]);
  const exprs = cols.map(([n, ty]) => column(n, ty));
  console.log(JSON.stringify({ table: t, columns: cols.map(([n], i) => [n, exprs[i][1]]) }));
  const rows = query(`SELECT ${exprs.map((e) => e[0]).join(', ')} FROM ${source(t)}${SETTINGS}`,
    'JSONCompactEachRow');
  if (rows.trim() !== '') process.stdout.write(rows.endsWith('\n') ? rows : rows + '\n');
}
