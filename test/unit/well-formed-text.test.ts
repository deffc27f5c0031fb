import { describe, expect, it } from 'vitest';
import { parseWellFormedJson, wellFormed } from '../../functions/core/text/well-formed.js';
import { analyzeFiles } from '../support/analyze-text.js';

/** A ConvertTo-Json trace detail record whose addresses hold half an emoji (`\ud83d`), as a cut export gives. */
const CUT_EMOJI_DETAIL = `[
  {
    "MessageId": "<EX01.9911@contoso.com>",
    "MessageTraceId": "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e99",
    "Date": "/Date(1795906211000)/",
    "Event": "Fail",
    "Detail": "Reason: [{LED=550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]};{MSG=};{FQDN=};{IP=};{LRT=}]",
    "RecipientAddress": "boss\\ud83d@litware.com",
    "SenderAddress": "news\\ud83d\\ude00@fabrikam.com"
  }
]`;

describe('text without lone surrogates', () => {
  it('replaces a lone high or low surrogate and keeps pairs', () => {
    expect(wellFormed('a\ud83db')).toBe('a\uFFFDb');
    expect(wellFormed('a\ude00')).toBe('a\uFFFD');
    expect(wellFormed('\ud83d\ude00')).toBe('\ud83d\ude00');
    expect(wellFormed('\ude00\ud83d')).toBe('\uFFFD\uFFFD');
  });

  it('parses JSON whose escapes hold a lone surrogate into well-formed strings, nested too', () => {
    expect(parseWellFormedJson('{"a":"x\\ud83d","b":["\\uDE00y","\\ud83d\\ude00"]}')).toEqual({
      a: 'x\uFFFD',
      b: ['\uFFFDy', '\ud83d\ude00'],
    });
  });

  it('gives a finding whose addresses hold U+FFFD, so its JSON holds no lone surrogate escape', async () => {
    const { findings } = await analyzeFiles([{ name: 'trace-detail.json', content: CUT_EMOJI_DETAIL }]);
    expect(findings).toHaveLength(1);
    const [finding] = findings;
    expect(finding?.recipient).toBe('boss\uFFFD@litware.com');
    // The whole emoji is kept.
    expect(finding?.sender).toBe('news\ud83d\ude00@fabrikam.com');
    // JSON.stringify writes a lone surrogate as an escape; a well-formed string as itself.
    expect(JSON.stringify(finding)).not.toMatch(/\\ud[89a-f]/i);
  });
});

describe('journalctl -o json lines with a cut emoji', () => {
  it('read the line with U+FFFD in place of the lone surrogate', async () => {
    const message =
      'C0FFEE1234: to=<boss\\ud83d@litware.com>, relay=contoso-com.mail.protection.outlook.com[52.101.1.1]:25, delay=0.7, dsn=5.7.64, status=bounced (host contoso-com.mail.protection.outlook.com[52.101.1.1] said: 550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com] (in reply to RCPT TO command))';
    const line = `{"__REALTIME_TIMESTAMP":"1795906211000000","_HOSTNAME":"relay01","SYSLOG_IDENTIFIER":"postfix/smtp","_PID":"4711","MESSAGE":"${message}"}\n`;
    const { findings } = await analyzeFiles([{ name: 'journal.json', content: line }]);
    expect(findings.map((finding) => finding.recipient)).toEqual(['boss\uFFFD@litware.com']);
  });
});
