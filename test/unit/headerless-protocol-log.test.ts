/**
 * An SMTP protocol log (SEND*.LOG, RECV*.LOG) whose `#` lines were dropped (a log shipper starting
 * inside the file, `Select-Object -Skip 5`) starts with an ISO date-time like a message tracking row.
 * Found by a hunt: its error sent the admin to the MSGTRK*.LOG's #Fields: line. It names the protocol
 * log row and the #Fields: line of a send protocol log to put back, and is not read with an inferred
 * field list: without its #Log-type: a receive log's rows cannot be told from a send log's.
 * Fixtures: test/fixtures/real-world/headerless-protocol-logs/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectFormat } from '../../functions/core/analysis/input/detect.js';
import { UnknownFormatError } from '../../functions/core/kernel/errors.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'real-world', 'headerless-protocol-logs');
const FIELDS_LINE =
  '#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context';

async function* chunks(text: string, size = 97): AsyncGenerator<string> {
  for (let at = 0; at < text.length; at += size) yield text.slice(at, at + size);
}

const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

/** The error detection ends with for `text`, named `name`. */
async function refusal(text: string, name: string): Promise<UnknownFormatError> {
  const error = await detectFormat(chunks(text), name).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(UnknownFormatError);
  return error as UnknownFormatError;
}

describe('an SMTP protocol log without its # lines', () => {
  it('SEND*.LOG less its first 5 lines: named a protocol log row, with the #Fields: line to put back', async () => {
    const error = await refusal(fixture('SEND20261128-1-skip5.LOG'), 'SEND-skip5.LOG');
    expect(error.message).toContain(
      'SEND-skip5.LOG: line 1 looks like an Exchange SMTP protocol log row without the # lines above it ' +
        '(9 fields: date-time, connector-id, session-id, sequence-number, local-endpoint, remote-endpoint, ' +
        'event, data, context). A send protocol log (SEND*.LOG in ProtocolLog\\SmtpSend) is read only with ' +
        `its #Fields: line: put "${FIELDS_LINE}" above the rows, or analyse the log files themselves. ` +
        "A receive protocol log (RECV*.LOG) is not read: Exchange Online's refusals are answers to the " +
        'sending server, in its send protocol log or message tracking log. Line 33 holds a relay refusal (',
    );
    // The list of known formats below it names MSGTRK*.LOG: the sentence about the file does not.
    expect(error.message.split('\n')[0]).not.toMatch(/message tracking log row|MSGTRK/);
  });

  it('put back, that #Fields: line makes the rows a send protocol log relay-audit reads', async () => {
    const detection = await detectFormat(
      chunks(`${FIELDS_LINE}\r\n${fixture('SEND20261128-1-skip5.LOG')}`),
      'SEND-skip5.LOG',
    );
    expect(detection.format.id).toBe('exchange-protocol-log');
  });

  it('a RECV*.LOG less its # lines gets the same message: its rows have the send log shape', async () => {
    const error = await refusal(fixture('RECV2021030910-1-skip5.LOG'), 'RECV-skip5.LOG');
    expect(error.message).toMatch(
      /^RECV-skip5\.LOG: line 1 looks like an Exchange SMTP protocol log row without the # lines above it .* A receive protocol log \(RECV\*\.LOG\) is not read/,
    );
  });

  it('a first row inside a session (quoted data with a comma, an IPv6 endpoint) is named alike', async () => {
    const rows = fixture('SEND20261128-1-skip5.LOG').split('\r\n').slice(2);
    expect(rows[0]).toMatch(/,<,"220 .*, 28 Nov 2026/);
    const quoted = await refusal(rows.join('\r\n'), 'SEND.LOG');
    expect(quoted.message).toMatch(/^SEND\.LOG: line 1 looks like an Exchange SMTP protocol log row/);
    const ipv6 =
      '2026-11-28T09:10:44.931Z,Outbound to Office 365,08DF006B9F7584FD,1,[2001:db8::11]:52134,' +
      '[2603:10a6:20b::1]:25,+,,\r\n';
    expect((await refusal(ipv6, 'SEND.LOG')).message).toMatch(/looks like an Exchange SMTP protocol log row/);
  });

  it('a 9-field row of another shape keeps the message tracking log message', async () => {
    const row = `2026-11-28T22:15:03.104Z,${Array.from({ length: 8 }, (_, index) => `v${index + 1}`).join(',')}\r\n`;
    const error = await refusal(row, 'input.csv');
    expect(error.message).toMatch(
      /^input\.csv: line 1 looks like a message tracking log row without its #Fields: header, but it has 9 fields/,
    );
    // A session id that is no 16 hex digits, an event that is none of + - > < *: not a protocol log row.
    for (const odd of [
      '2026-11-28T09:10:44.931Z,Outbound,NOT-A-SESSION-ID,1,10.0.1.11:52134,52.101.1.1:25,+,,',
      '2026-11-28T09:10:44.931Z,Outbound,08DF006B9F7584FD,1,10.0.1.11:52134,52.101.1.1:25,RECEIVE,,',
    ]) {
      expect((await refusal(`${odd}\r\n`, 'input.csv')).message).toMatch(/message tracking log row/);
    }
  });
});
