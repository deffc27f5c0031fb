/**
 * `npx tsx bench/stray-quote.ts [KB ...]`: time and rows lost by the CSV splitter on a log with one
 * unterminated quote near its start (issue 15, point 3). Prints, per size: seconds, records read,
 * malformed records and the lines they cover. Reports, never asserts.
 */
import { performance } from 'node:perf_hooks';
import { CsvRecordSplitter } from '../functions/core/text/csv-records.js';

function input(bytes: number): string {
  const lines = [
    'date-time,sender,recipient,status,subject',
    '2026-11-28T10:00:00Z,a@x.example,b@y.example,"550 5.7.64 stray,subject',
  ];
  let length = 0;
  for (let index = 0; length < bytes; index++) {
    const second = String(index % 60).padStart(2, '0');
    const line = `2026-11-28T10:00:${second}Z,a@x.example,b@y.example,250 OK,row ${index}`;
    lines.push(line);
    length += line.length + 1;
  }
  return `${lines.join('\n')}\n`;
}

const sizes = process.argv.slice(2).map(Number);
for (const kb of sizes.length > 0 ? sizes : [64, 128, 256]) {
  const text = input(kb * 1024);
  let records = 0;
  const malformed: string[] = [];
  const splitter = new CsvRecordSplitter(
    { delimiter: ',' },
    {
      onRecord: () => {
        records++;
      },
      onMalformed: (line, reason, message) =>
        malformed.push(`${reason} line ${line}: ${message.slice(0, 120)}`),
    },
  );
  const started = performance.now();
  // 64 K character chunks, as parse-input hands them on.
  for (let at = 0; at < text.length; at += 65_536) splitter.push(text.slice(at, at + 65_536));
  splitter.end();
  const seconds = (performance.now() - started) / 1000;
  const lines = text.split('\n').length - 1;
  console.log(
    `${kb} KB (${lines} lines): ${seconds.toFixed(3)} s, ${records} records, ${malformed.length} malformed${malformed.length ? `: ${malformed.slice(0, 3).join(' | ')}` : ''}`,
  );
}
