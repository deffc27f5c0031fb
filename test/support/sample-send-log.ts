/**
 * The sample send protocol log as the rollover tests cut it: its header lines and rows, the session
 * whose pipelined transaction two 4.4.62 answers refuse, and what a run's findings say, in an order
 * that does not depend on the order of the files.
 */
import { readFile } from 'node:fs/promises';
import type { Finding } from '../../functions/core/analysis/model/findings.js';

export const SAMPLE = 'sample-logs/SEND20261128-1.LOG';
export const ACCEPTED = 'sample-logs/config/accepted-domains.csv';
/** The session whose two RCPT TOs are refused with 451 4.4.62 in one millisecond. */
export const SESSION = '08DF006B9F7584FE';

/** Each finding as one line: id, Message-ID, recipient, return path, scenario, code; sorted. */
export const said = (findings: readonly Finding[]): string[] =>
  findings
    .map((f) => [f.id, f.messageId, f.recipient, f.returnPath ?? '', f.scenario, f.code].join(' | '))
    .sort();

/** The sample log's header lines (`head`) and rows (`body`). */
export async function sampleSendLog(): Promise<{ head: string[]; body: string[] }> {
  const lines = (await readFile(SAMPLE, 'utf8')).split('\r\n').filter((line) => line !== '');
  const header = (line: string) => line.replace(/^\uFEFF/, '').startsWith('#');
  return { head: lines.filter(header), body: lines.filter((line) => !header(line)) };
}

/** A protocol log's `#` header lines and its rows (CRLF, a BOM before the first line taken off). */
export async function protocolLogOf(name: string): Promise<{ header: string[]; rows: string[] }> {
  const lines = (await readFile(name, 'utf8'))
    .replace(/^\uFEFF/, '')
    .split('\r\n')
    .filter((line) => line !== '');
  return {
    header: lines.filter((line) => line.startsWith('#')),
    rows: lines.filter((line) => !line.startsWith('#')),
  };
}

/** A row's cells before any quoted one: date-time, connector-id, session-id, sequence-number. */
export const cells = (row: string): string[] => row.split(',');
export const dateTime = (row: string): string => cells(row)[0] ?? '';
export const sessionOf = (row: string): string => cells(row)[2] ?? '';
export const sequenceOf = (row: string): number => Number(cells(row)[3]);
