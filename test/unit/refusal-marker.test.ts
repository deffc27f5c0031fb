/**
 * The one test of "does this text hold relay-refusal text?" (evidence/rejections.ts): the streaming
 * search of files passed over, the syslog lines of programs not read and the sample of a refused
 * file all ask it. Each marker is found, also in a text cut before its status code; the digits of
 * a longer number, another ATTR reason or another case are not.
 */
import { describe, expect, it } from 'vitest';
import {
  REFUSAL_MARKER_REACH,
  refusalMarkerIn,
  relayRejectionIn,
} from '../../functions/core/analysis/evidence/rejections.js';

const HOST = 'AM0PR01MB1234.eurprd01.prod.exchangelabs.com';
const ATTR36 = `550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [${HOST}]`;
const ATTR35 = `451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35 [${HOST}]`;

describe('refusalMarkerIn', () => {
  it.each([
    ['5.7.64', ATTR36],
    ['4.4.62', ATTR35],
    ['5.7.64', `dsn=5.7.64, stat=Service unavailable`],
    ['4.4.62', `Deferred: 451 4.4.62 Mail sent to the wrong Office 365 region.`],
    // IIS writes spaces as `+`; a sentence may end with the code.
    ['5.7.64', `RCPT+TO:<b@litware.com> 550+5.7.64+TenantAttribution;+Relay+Access+Denied`],
    ['5.7.64', 'The relay refused it with 5.7.64.'],
    ['TenantAttribution', 'TenantAttribution; Relay Access Denied'],
    ['TenantAttribution', 'Denied%3A%20TenantAttribution%3B'],
    ['ATTR35', 'region. ATTR35 [SRV.outlook.com]'],
    ['ATTR36', `Relay Access Denied ATTR36 [${HOST}]`],
  ])('finds %s in "%s"', (marker, text) => {
    expect(refusalMarkerIn(text)).toBe(marker);
  });

  it('finds a refusal in a line cut before its status code, by its words', () => {
    // The end of a syslog line split in two: the first part, with `550 5.7.64`, is on the line before.
    expect(refusalMarkerIn(` Relay Access Denied ATTR36 [${HOST}] (in reply to RCPT TO command))`)).toBe(
      'ATTR36',
    );
    expect(refusalMarkerIn('TenantAttribution; Relay Access Denied [X.outlook.com]')).toBe(
      'TenantAttribution',
    );
    expect(relayRejectionIn('TenantAttribution; Relay Access Denied [X.outlook.com]')).toBeUndefined();
  });

  it('names the first marker of the text', () => {
    expect(refusalMarkerIn(`host said: ${ATTR36}`)).toBe('5.7.64');
    expect(refusalMarkerIn(`Relay Access Denied ATTR36 ... 550 5.7.64`)).toBe('ATTR36');
    expect(refusalMarkerIn(`451 4.4.0 responded with: "${ATTR35}" then "${ATTR36}"`)).toBe('4.4.62');
  });

  it.each([
    'Delivered: 250 2.6.0 Queued mail for delivery',
    '550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain',
    '550 5.7.641 not a code of ours',
    'build 15.7.649, kernel 14.4.620',
    'ServerIp : 10.5.7.64',
    'ClientIp : 5.7.64.1',
    'version 1.4.4.62.3',
    '5.7.6 cut short',
    'ATTR361 XATTR36 ATTR36x ATTR3 ATTR40',
    // The family's other reasons are no relay refusals: a mail loop, recipients in several regions.
    '554 5.4.14 Hop count exceeded - possible mail loop ATTR34',
    '452 4.5.3 Recipients belong to multiple regions ATTR38',
    // A kernel's version in the same syslog file.
    'kernel: [    0.000000] Linux version 4.4.62-1-lts (builduser@arch)',
    // Exchange writes them in this case only; a word in another case is someone's prose or a setting.
    'tenantattribution attr36',
    'Tenant Attribution',
  ])('finds nothing in "%s"', (text) => {
    expect(refusalMarkerIn(text)).toBeUndefined();
  });

  it('finds every relay-attribution code the parser finds: no place that asks it is weaker', () => {
    const statuses = [
      ATTR36,
      ATTR35,
      `451 4.4.0 Primary target IP address responded with: "${ATTR35}"`,
      `450 4.7.0 Proxy session setup failed on Frontend with '451 4.4.0 responded with: "${ATTR36}"'`,
      `Reason: [{LED=${ATTR36}};{MSG=}]`,
      '550-5.7.64 TenantAttribution',
      'dsn=5.7.64',
      'x5.7.64', // a code run into a word: the parser takes it, so does the marker
      '5.7.64a',
    ];
    for (const status of statuses) {
      const code = relayRejectionIn(status)?.enhancedCode;
      expect(code, status).toBeDefined();
      expect(refusalMarkerIn(status), status).toBe(code);
    }
  });
});

describe('REFUSAL_MARKER_REACH', () => {
  // What may follow a marker at a chunk's end (up to two characters), and what the next chunk may bring.
  const tails = ['', '.', '1', ' ', 'x'];
  const ends = tails.flatMap((first) => tails.map((second) => first + second));
  const nexts = ['1', '.1', '0.', ' ', 'x', '\n'];
  const markers = ['5.7.64', '4.4.62', 'TenantAttribution', 'ATTR35', 'ATTR36'];

  it('is enough text to judge a marker: no later text undoes one that starts this far from the end', () => {
    for (const marker of markers) {
      for (const end of ends) {
        for (const next of nexts) {
          // The marker, then `end`, then padding up to the reach: what follows it is decided.
          const judged = `${marker}${end}`.padEnd(REFUSAL_MARKER_REACH, ' ');
          if (refusalMarkerIn(judged) !== marker) continue;
          expect(refusalMarkerIn(judged + next), JSON.stringify(judged + next)).toBe(marker);
        }
      }
    }
  });

  it('is more than a code and what may make it a longer number', () => {
    // Within the reach, `5.7.64.` is a marker that `1` undoes: a search must wait for what follows.
    expect(refusalMarkerIn('5.7.64.')).toBe('5.7.64');
    expect(refusalMarkerIn('5.7.64.1')).toBeUndefined();
    expect(REFUSAL_MARKER_REACH).toBeGreaterThan('5.7.64.'.length);
    expect(REFUSAL_MARKER_REACH).toBeGreaterThanOrEqual('TenantAttribution'.length);
  });
});
