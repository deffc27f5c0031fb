/**
 * What real text does to a status code (evidence/rejections.ts `plainStatus`), undone before it is
 * parsed, and the safety net of every reader (input/unread-refusals.ts `unreadFailureOf`): a failure
 * that holds relay-refusal words but no status code that is read is a refusal not read.
 */
import { describe, expect, it } from 'vitest';
import {
  mayBeRelayRejection,
  plainStatus,
  refusalMarkerIn,
  relayRejectionIn,
} from '../../functions/core/analysis/evidence/rejections.js';
import { unreadFailureOf } from '../../functions/core/analysis/input/unread-refusals.js';

const REASON = 'TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]';
const PLAIN = `550 5.7.64 ${REASON}`;

describe('plainStatus', () => {
  it.each([
    ['full-width digits', `５５０ ５.７.６４ ${REASON}`],
    ['full-width digits and dots', `５５０ ５．７．６４ ${REASON}`],
    ['a zero-width space', `550 5.7.\u200b64 ${REASON}`],
    ['a zero-width joiner and non-joiner', `550 5.\u200d7.\u200c64 ${REASON}`],
    ['a word joiner', `550 5.7.64\u2060 ${REASON}`],
    ['a BOM inside the text', `550 5.7.\ufeff64 ${REASON}`],
    ['a soft hyphen', `550 5.\u00ad7.64 ${REASON}`],
    ['a no-break space', `550\u00a05.7.64 ${REASON}`],
    ['an ideographic space', `550\u30005.7.64 ${REASON}`],
    ['a quoted-printable soft break (CRLF)', `550 5.7.=\r\n64 ${REASON}`],
    ['a quoted-printable soft break (LF)', `550 5.7.=\n64 ${REASON}`],
  ])('undoes %s', (_what, text) => {
    expect(plainStatus(text)).toBe(PLAIN);
    expect(relayRejectionIn(text)).toMatchObject({ smtpCode: '550', enhancedCode: '5.7.64', attr: 'ATTR36' });
    expect(mayBeRelayRejection(text)).toBe(true);
  });

  it('gives ASCII text back as it is', () => {
    const text = 'Deferred: 451 4.4.62 = the wrong region\r\nATTR35';
    // A `=` that ends no line stays; ASCII line ends are not soft breaks.
    expect(plainStatus(text)).toBe(text);
    expect(plainStatus(PLAIN)).toBe(PLAIN);
  });

  it('finds full-width words as refusal text', () => {
    expect(refusalMarkerIn('ＴｅｎａｎｔＡｔｔｒｉｂｕｔｉｏｎ; Relay Access Denied')).toBe(
      'TenantAttribution',
    );
  });

  it('makes no code of a look-alike', () => {
    for (const text of [
      '550 ５.７.６４１ Denied',
      '550 5.7.\u200b641 Denied',
      'from 10.5.７.64',
      'build 15.7.6４.0',
    ])
      expect(relayRejectionIn(text), text).toBeUndefined();
  });
});

describe('unreadFailureOf', () => {
  it.each([
    ['FAIL', REASON],
    ['DEFER', 'Mail sent to the wrong Office 365 region. ATTR35'],
    ['FAILED', `The message couldn't be delivered. ${REASON}`],
    ['FAIL', `550 TenantAttribution; Relay Access Denied ATTR36`],
    ['FAIL', 'refused with 5.7.64.'],
  ])('skips a %s whose status "%s" holds refusal text but no code read', (eventId, status) => {
    expect(unreadFailureOf({ eventId, recipientStatus: status })).toMatchObject({
      reason: 'REFUSAL_NOT_READ',
      message: expect.stringMatching(
        /^its \w+ status holds relay-refusal text \(.+\) but no enhanced status code/,
      ),
    });
  });

  it.each([
    ['a refusal read', 'FAIL', PLAIN],
    ['a disguised refusal, read', 'FAIL', `５５０ ５.７.６４ ${REASON}`],
    ['another code with the words', 'FAIL', '550 5.7.641 TenantAttribution; Relay Access Denied'],
    ['another failure', 'FAIL', '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found [10.5.7.64]'],
    ['a delivery', 'DELIVER', REASON],
    ['a send', 'SEND', REASON],
    ['a receipt', 'RECEIVE', REASON],
  ])('leaves %s as it is', (_what, eventId, status) => {
    expect(unreadFailureOf({ eventId, recipientStatus: status })).toBeUndefined();
  });
});
