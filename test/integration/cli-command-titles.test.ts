/**
 * `relay-audit findings --format table` titles a finding's commands by their language: a Postfix
 * finding's `postconf` line under `Shell:`, apart from the Exchange Online PowerShell before it,
 * and a relay's findings get their own remediation next to an Exchange log's of the same scenario;
 * an IIS SMTP relay's Windows cmdlets under `Windows PowerShell:`.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../support/capture-output.js';
import { dirPerTest } from '../support/dir-per-test.js';

const dir = dirPerTest('relay-audit-command-titles-');
const DOMAINS = ['--accepted-domains', 'sample-logs/config/accepted-domains.csv'];

describe('relay-audit findings --format table', () => {
  it("titles a relay's shell lines apart from PowerShell, and shows each log's advice", async () => {
    const db = join(dir(), 'db');
    const analyzed = await cli(
      'analyze',
      'sample-logs/postfix-mail.log',
      'sample-logs/MSGTRK2026112800-1.LOG',
      ...DOMAINS,
      // The Postfix sample's syslog dates have no year.
      '--year',
      '2026',
      '--db',
      db,
    );
    expect(analyzed.status).toBe(0);
    expect(analyzed.out.stdout).toContain('See the tailored steps and commands: relay-audit findings');

    const { status, out } = await cli('findings', '--db', db, '--scenario', 'ndr', '--format', 'table');
    expect(status).toBe(0);
    const blocks = out.stdout.split('\n▶ ');
    const postfix = blocks.find((block) => block.startsWith('ndr (Postfix log): ')) ?? '';
    const exchange = blocks.find((block) => block.startsWith('ndr: ')) ?? '';
    expect(postfix).toMatch(
      /\n {2}PowerShell:\n {4}Get-InboundConnector [^\n]*\n(?: {4}[^\n]*\n)* {2}Shell:\n {4}postconf -e 'smtp_tls_cert_file = /,
    );
    expect(exchange).toMatch(/\n {2}PowerShell:\n {4}Get-InboundConnector /);
    expect(exchange).toMatch(/\n {4}Set-SendConnector -Identity /);
    expect(exchange).not.toMatch(/^ {2}Shell:$/m);
  });

  it("titles an IIS SMTP relay's Windows cmdlets as Windows PowerShell, after Exchange Online's", async () => {
    const db = join(dir(), 'db');
    const analyzed = await cli(
      'analyze',
      'test/fixtures/real-world/remediation-kb-cases/i01-kb3212877.ex161201.log',
      '--accepted-domains',
      'servername.com',
      '--db',
      db,
    );
    expect(analyzed.status).toBe(0);
    const { status, out } = await cli('findings', '--db', db, '--format', 'table');
    expect(status).toBe(0);
    // The certificate store and the SMTP service are the relay's, not Exchange Online's.
    expect(out.stdout).toMatch(
      /\n {2}PowerShell:\n {4}Get-InboundConnector [^\n]*\n(?: {4}(?:New|Set)-InboundConnector [^\n]*\n)+ {2}Windows PowerShell:\n {4}Import-Certificate -FilePath [^\n]*\n {4}Restart-Service SMTPSVC\n/,
    );
  });
});
