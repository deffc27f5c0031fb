/**
 * Recipient and status lists in PowerShell's display form, `{a, b}` (rows copied from Out-GridView or
 * Format-Table): the braces that wrap the whole cell are the list's and are stripped; a status's own
 * `{LED=…}` parts stay. A copied row gives the same finding as the exported one: same recipient,
 * scenario and id. Fixtures: test/fixtures/real-world/displayed-lists/README.md.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  displayedListItems,
  splitRecipients,
  splitStatuses,
} from '../../functions/core/analysis/formats/recipient-lists.js';
import { analyzeFiles } from '../support/analyze-text.js';

const DIR = 'test/fixtures/real-world/displayed-lists';
const ATTR36 =
  '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]';
const EXPIRED =
  '550 4.4.7 QUEUE.Expired; message expired [{LED=451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35 [X]};{MSG=};{FQDN=x};{IP=52.101.1.1};{LRT=12/3/2026 9:15:03 PM}]';

describe("a list in PowerShell's display form", () => {
  it.each([
    ['{kate@tailspintoys.com}', 'kate@tailspintoys.com'],
    ['{ap@litware.com, ar@litware.com}', 'ap@litware.com, ar@litware.com'],
    [' {To, To, Cc} ', 'To, To, Cc'],
    ['{}', ''],
    [`{${EXPIRED}, ${ATTR36}}`, `${EXPIRED}, ${ATTR36}`],
  ])('%s: the braces wrapping the cell are stripped', (cell, items) => {
    expect(displayedListItems(cell)).toBe(items);
  });

  it.each([
    [
      'a status whose own parts open and close inside it',
      '{LED=550 5.7.64 TenantAttribution};{MSG=};{FQDN=x}',
    ],
    ['two displayed lists side by side', '{a@x.com}, {b@x.com}'],
    ['braces that do not pair', '{a@x.com, {b@x.com}'],
    ['a plain list', 'a@x.com;b@x.com'],
    ['a queue error', EXPIRED],
  ])('%s is left as it is', (_name, cell) => {
    expect(displayedListItems(cell)).toBe(cell);
  });

  it('splits into addresses without braces, and statuses with their nested parts whole', () => {
    expect(splitRecipients('{ap@litware.com, old.account@contoso.com, ar@litware.com}')).toEqual([
      'ap@litware.com',
      'old.account@contoso.com',
      'ar@litware.com',
    ]);
    expect(splitRecipients('{kate@tailspintoys.com}')).toEqual(['kate@tailspintoys.com']);
    expect(splitRecipients('{}')).toEqual([]);
    expect(splitStatuses(`{${EXPIRED}, ${ATTR36}}`)).toEqual([EXPIRED, ATTR36]);
    expect(splitStatuses(`{${ATTR36}}`)).toEqual([ATTR36]);
    // Not a displayed list: the nested-status splitting is unchanged.
    expect(splitStatuses(`${EXPIRED} | ${ATTR36}`)).toEqual([EXPIRED, ATTR36]);
  });
});

describe('an Out-GridView copy of Get-MessageTrackingLog rows', () => {
  const analyse = async (file: string) => {
    const { findings, sources } = await analyzeFiles([
      { name: file, content: readFileSync(join(DIR, file)) },
    ]);
    expect(sources[0]).toMatchObject({
      status: 'done',
      format: 'tracking-log-export',
      rowsRead: 6,
      rowsSkipped: 0,
    });
    return findings;
  };

  it('reads the addresses without braces: forwarding stays forwarding', async () => {
    const findings = await analyse('gridview-copy.csv');
    for (const finding of findings) {
      expect(`${finding.recipient} ${finding.recipientDomain} ${finding.sender}`).not.toMatch(/[{}]/);
      expect(finding.rejectionText).not.toMatch(/^\{|\}$/);
    }
    // The RECEIVE of {kate@contoso.com} is an internal recipient's: the FAIL to Tailspin is her forward.
    expect(findings.find((f) => f.recipient === 'kate@tailspintoys.com')?.scenario).toBe('forwarding');
    // Statuses inside a displayed list keep their own {LED=…}: the wrapped 4.4.62 is read for both.
    expect(findings.filter((f) => f.scenario === 'wrong-region').map((f) => f.recipient)).toEqual([
      'treasury@woodgrovebank.com',
      'auditor@woodgrovebank.com',
    ]);
  });

  it('gives the findings of the same rows with joined lists, ids included: no second finding', async () => {
    const row = (f: { id: string; source: { line: number }; recipient: string; scenario: string }) => [
      f.id,
      f.source.line,
      f.recipient,
      f.scenario,
    ];
    const copied = (await analyse('gridview-copy.csv')).map(row);
    const joined = (await analyse('joined-copy.csv')).map(row);
    expect(copied).toHaveLength(5);
    expect(copied).toEqual(joined);
  });
});
