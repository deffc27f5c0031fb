/**
 * `relay-audit findings` on a Postfix log with SMTPUTF8 addresses that hold characters a terminal
 * draws as nothing or uses to reorder text: each reaches the table as a visible escape, so
 * `ceo@adatum\u061c.com` cannot pass for `ceo@adatum.com` (see the fixture's README).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/capture-output.js';

const LOG = join(
  import.meta.dirname,
  '..',
  'fixtures',
  'real-world',
  'smtputf8-hidden-characters',
  'mail.log',
);

/** Bidi controls, default-ignorable characters and lone surrogates: none may reach the terminal. */
const HIDDEN = /[\p{Cc}\p{Bidi_Control}\p{Default_Ignorable_Code_Point}\p{Cs}]/u;

let dir: string;
let table: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-audit-hidden-'));
  const db = join(dir, 'db');
  const analysed = await cli(
    'analyze',
    LOG,
    '--accepted-domains',
    'contoso.com',
    '--year',
    '2026',
    '--db',
    db,
  );
  expect(analysed.status, analysed.out.stderr).toBe(0);
  const listed = await cli('findings', '--db', db);
  expect(listed.status, listed.out.stderr).toBe(0);
  table = listed.out.stdout;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('relay-audit findings: addresses with hidden characters', () => {
  it('shows each as an escape in the table, the characters beyond the BMP whole', () => {
    const rows = table.split('\n').filter((line) => /^\d+ +2026-11-28 /.test(line));
    expect(rows).toHaveLength(5);
    expect(table).toContain('ceo@adatum\\u061c.com');
    expect(table).toContain('bo\\u00adss\\u3164@fabrikam.com');
    expect(table).toContain('pay\\u{e0069}\\u{e0067}roll@adatum.com');
    expect(table).toContain('ap\\ufe0f@adatum.com');
    // The ones escaped before stay escaped.
    expect(table).toContain('finance@contoso\\u200b.com');
    expect(table).toContain('pay\\u202emoc.evil@fabrikam.com');
    expect(table).toContain("\\u2066o'neil\\u2069$(whoami)");
  });

  it('writes none of them raw on any line of its output', () => {
    expect(table.split('\n').filter((line) => HIDDEN.test(line))).toEqual([]);
  });
});
