// Runs the reports of docs/sql/reports_clickhouse.sql with chdb over a Parquet export and
// prints each as CSV with a header, after a line "== NAME".
//   node run_reports_chdb.mjs SQL_FILE OUT AS_OF DAYS_Q1 DAYS_Q3 YEAR
import { query } from 'chdb';
import { readFileSync } from 'fs';

const [file, out, asOf, days1, days3, year] = process.argv.slice(2);
const parts = readFileSync(file, 'utf8').split(/^-- report: /m).slice(1);
for (const part of parts) {
  const name = part.slice(0, part.indexOf('\n')).trim();
  const days = name === 'training-quality' ? days3 : days1;
  const sql = part.slice(part.indexOf('\n') + 1).replace(/;\s*$/, '')
    .replaceAll('{out}', out).replaceAll('{as_of}', asOf).replaceAll('{days}', days)
    .replaceAll('{year}', year);
  const csv = query(`${sql} SETTINGS output_format_decimal_trailing_zeros = 1, ` +
    'join_use_nulls = 0', 'CSVWithNames');
  console.log(`== ${name}`);
  process.stdout.write(csv);
}
