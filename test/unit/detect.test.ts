import { describe, expect, it } from 'vitest';
import { chooseFormat, detectFormat } from '../../functions/core/analysis/input/detect.js';
import { EmptyInputError, UnknownFormatError } from '../../functions/core/kernel/errors.js';
import { guessDelimiter } from '../../functions/core/text/csv-records.js';

async function* chunks(...parts: string[]): AsyncGenerator<string> {
  yield* parts;
}

function split(text: string, size = 7): AsyncGenerator<string> {
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
  return chunks(...parts);
}

function detect(text: string) {
  return detectFormat(split(text), 'input.csv');
}

describe('detectFormat', () => {
  it('reads the #Fields directive of a raw tracking log after its preamble', async () => {
    const input = split(
      '#Software: Microsoft Exchange Server\r\n#Version: 15.02.1544.004\r\n#Log-Type: Message Tracking Log\r\n' +
        '#Fields: date-time,event-id,message-id,recipient-address,recipient-status,sender-address,return-path\r\nrow1\r\n',
    );
    const detection = await detectFormat(input, 'input.csv');
    let rest = detection.rest;
    for await (const chunk of input) rest += chunk;
    expect(detection.format.id).toBe('exchange-tracking-log');
    expect(detection.headerLine).toBe(4);
    expect(detection.preamble).toHaveLength(3);
    expect(rest).toBe('row1\r\n');
    expect(detection.restLine).toBe(5);
  });

  it('skips the #TYPE line of Windows PowerShell and finds a ;-delimited culture export', async () => {
    const detection = await detect(
      '#TYPE Microsoft.Exchange.Management.TransportLogSearchTasks.MessageTrackingEvent\r\n' +
        '"Timestamp";"EventId";"Source";"MessageId";"Recipients";"RecipientStatus";"Sender";"ReturnPath"\r\n"x";"y"\r\n',
    );
    expect(detection.format.id).toBe('tracking-log-export');
    expect(detection.delimiter).toBe(';');
    expect(detection.headerLine).toBe(2);
  });

  it.each([
    [
      'Received,SenderAddress,RecipientAddress,Subject,Status,ToIP,FromIP,Size,MessageId,MessageTraceId',
      'message-trace',
    ],
    ['Date,MessageId,MessageTraceId,Event,Action,Detail,Data', 'message-trace-detail'],
    [
      'origin_timestamp_utc,sender_address,recipient_status,message_subject,total_bytes,message_id,network_message_id',
      'historical-search-summary',
    ],
    [
      'date_time_utc,client_ip,event_id,message_id,recipient_address,recipient_status,return_path,sender_address',
      'historical-search-extended',
    ],
    ['Timestamp\tEventId\tSource\tMessageId\tRecipients\tRecipientStatus\tSender', 'tracking-log-export'],
  ])('recognises %s', async (header, id) => {
    expect((await detect(`\r\n${header}\r\n`)).format.id).toBe(id);
  });

  it('quotes the line it took for the header and names the formats it knows', async () => {
    const error = await detect('"DisplayName","ItemCount","TotalItemSize"\r\n"a","1","2"\r\n').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UnknownFormatError);
    const message = (error as Error).message;
    expect(message).toMatch(
      /input\.csv: unknown format\. Line 1 is no header relay-audit knows: ""DisplayName","ItemCount","TotalItemSize"" /,
    );
    expect(message).toMatch(/Exchange Online message trace/);
    expect(message).toMatch(/needs/);
  });

  // Two published application logs with a refusal (audiobookshelf #4573, an Odoo server log): the
  // cells a CSV split made of their first line, joined with ", ", read `TenantAttribution, Relay
  // Access Denied` and `09:12:44, 518`, text that is not in the file.
  it.each([
    "[2025-08-10 22:42:38.612] ERROR: [EmailManager] Failed to send test email Error: Can't send mail - all recipients were rejected: 550 5.7.64 TenantAttribution; Relay Access Denied [ValidationStatus of '' is EmptyCertificate]",
    "2019-01-25 09:12:44,518 2231 ERROR erp odoo.addons.base.models.ir_mail_server: Mail delivery failed via SMTP server 'xxxxxxxxxxxxx.mail.protection.outlook.com'.",
    'Date;Event;Location',
    '"Date", "Event",Location  ',
  ])('quotes the line it took for the header as the file has it: %s', async (line) => {
    const message = await detect(`${line}\r\nnothing to read here\r\n`).catch(
      (e: unknown) => (e as Error).message,
    );
    expect(message).toContain(`unknown format. Line 1 is no header relay-audit knows: "${line}"`);
  });

  it('quotes a #Fields: line of no log it knows as the file has it, as it quotes any other line', async () => {
    const line = '#Fields: time,c-ip,\tcs-method;sc-status';
    const row = '10:15:03,192.0.2.7,RCPT,550 5.7.64 TenantAttribution; Relay Access Denied';
    const message = await detect(`#Software: Fabrikam Gateway 2.1\r\n${line}\r\n${row}\r\n`).then(
      () => '',
      (e: unknown) => (e as Error).message,
    );
    expect(message).toContain(
      'input.csv: unknown format. Line 2 is no header relay-audit knows: "#Fields: time,c-ip,\\tcs-method;sc-status". ',
    );
    // Its fields are not shown split and joined again (`c-ip, cs-method;sc-status`), text not in the file.
    expect(message).not.toMatch(/has the headers|c-ip, cs-method/);
    expect(message).toMatch(
      /\. Line 3 holds a relay refusal \(.*5\.7\.64 TenantAttribution.*\): it is not counted/,
    );
  });

  it('quotes a long line cut, with its control characters made visible', async () => {
    const line = `Report\u001b[2J\t${'x'.repeat(2000)}`;
    const message = await detect(`${line}\n`).then(
      () => '',
      (e: unknown) => (e as Error).message,
    );
    const quoted = /Line 1 is no header relay-audit knows: "([^"]*)"/.exec(message)?.[1] ?? '';
    expect(quoted.startsWith('Report\\x1b[2J\\txxx')).toBe(true);
    expect(quoted.endsWith('x…')).toBe(true);
    expect(quoted.length).toBeLessThan(500);
    expect(message.includes('\u001b') || message.includes('\t')).toBe(false);
  });

  it('finds the header after a blank line and a stray BOM (an empty UTF-8 file joined in front)', async () => {
    const detection = await detect(
      '\r\n\uFEFF#Software: Microsoft Exchange Server\r\n\uFEFF#Fields: date-time,event-id,message-id,recipient-address,recipient-status,sender-address\r\n',
    );
    expect(detection).toMatchObject({
      headerLine: 3,
      headerless: false,
      preamble: ['#Software: Microsoft Exchange Server'],
    });
    expect(detection.format.id).toBe('exchange-tracking-log');
  });

  it('says an empty input is empty', async () => {
    await expect(detect('')).rejects.toBeInstanceOf(EmptyInputError);
    await expect(detect('\r\n\r\n')).rejects.toBeInstanceOf(EmptyInputError);
  });

  it('matches header names case-insensitively and never by position', () => {
    expect(
      chooseFormat(['MESSAGEID', 'x', 'Received', 'status', 'RecipientAddress', 'SenderAddress'], false)?.id,
    ).toBe('message-trace');
  });

  it('guesses the delimiter from the header', () => {
    expect(guessDelimiter('a,b,c')).toBe(',');
    expect(guessDelimiter('"a;1";"b";"c"')).toBe(';');
    expect(guessDelimiter('a\tb\tc,d')).toBe('\t');
  });
});

/** A tracking row of `count` fields, as Exchange writes it (ISO UTC timestamp first). */
function trackingRow(count: number, timestamp = '2026-11-28T22:15:03.104Z'): string {
  return [timestamp, ...Array.from({ length: count - 1 }, (_, index) => `v${index + 1}`)].join(',');
}

describe('detectFormat on tracking rows without their header', () => {
  it.each([
    [30, 'schema-version'],
    [27, 'custom-data'],
    [26, 'custom-data'],
    [21, 'message-info'],
  ])(
    'reads %i-field rows with that Exchange version’s field list, from the first row on',
    async (count, last) => {
      const input = split(`\uFEFF${trackingRow(count)}\r\n${trackingRow(count)}\r\n`);
      const detection = await detectFormat(input, 'siem.csv');
      expect(detection).toMatchObject({ headerless: true, headerLine: 0, restLine: 1, delimiter: ',' });
      expect(detection.format.id).toBe('exchange-tracking-log');
      expect(detection.headers).toHaveLength(count);
      expect(detection.headers.at(-1)).toBe(last);
      let rest = detection.rest;
      for await (const chunk of input) rest += chunk;
      expect(rest.replace(/^\uFEFF/, '').startsWith(trackingRow(count))).toBe(true);
    },
  );

  it('names rows of no known field count instead of listing the first row as headers', async () => {
    const message = await detect(`${trackingRow(12)}\r\n`).catch((e: unknown) => (e as Error).message);
    expect(message).toMatch(
      /input\.csv: line 1 looks like a message tracking log row without its #Fields: header, but it has 12 fields.*30 \(Exchange 2016\/2019\), 27 \(Exchange 2013\), 26 \(Exchange 2010\) or 21 \(Exchange 2007\)/,
    );
    expect(message).not.toMatch(/has the headers|is no header relay-audit knows/);
  });

  it('does not take a row without an ISO UTC timestamp first for a tracking row', async () => {
    const message = await detect(`${trackingRow(30, '11/28/2026 10:15:03 PM')}\r\n`).catch(
      (e: unknown) => (e as Error).message,
    );
    expect(message).toMatch(
      /unknown format\. Line 1 is no header relay-audit knows: "11\/28\/2026 10:15:03 PM,v1,/,
    );
  });
});

describe('detectFormat on SMTP protocol logs', () => {
  it('reads a send protocol log by its #Fields: line', async () => {
    const detection = await detect(
      '#Software: Microsoft Exchange Server\r\n#Version: 15.02.1544.004\r\n#Log-type: SMTP Send Protocol Log\r\n' +
        '#Date: 2026-11-28T10:00:00.118Z\r\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n' +
        '2026-11-28T10:02:12.877Z,EX01\\Outbound to Office 365,08DF3C2B1A09F8E8,14,10.0.1.11:41871,52.101.1.1:25,<,550 5.7.64 TenantAttribution; Relay Access Denied,\r\n',
    );
    expect(detection.format.id).toBe('exchange-protocol-log');
    expect(detection.headerLine).toBe(5);
  });
});

describe('detectFormat names inputs it does not read', () => {
  async function messageOf(text: string): Promise<string> {
    const error = await detect(text).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownFormatError);
    return (error as Error).message;
  }

  it.each([
    [
      'an SMTP receive protocol log',
      '#Log-type: SMTP Receive Protocol Log\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\n',
      /looks like an Exchange SMTP receive protocol log/,
    ],
    [
      'another Exchange log',
      '#Software: Microsoft Exchange Server\n#Log-type: Transport Connectivity Log\n#Fields: date-time,session,source,Destination,direction,description\n',
      /looks like an Exchange Transport Connectivity Log \(#Log-type: Transport Connectivity Log\), which relay-audit does not read\. Exchange Online's refusals of relayed mail are in the message tracking log/,
    ],
    [
      'an IIS SMTP log short of the fields it needs',
      '#Software: Microsoft Internet Information Services 6.0\n#Fields: date time c-ip cs-username s-sitename s-computername s-ip s-port cs-method\n',
      /looks like an IIS SMTP service log whose #Fields: lack cs-uri-query: .*Enable them .*date, time, c-ip, cs-username, cs-method, cs-uri-query\) and analyse the logs written after\./,
    ],
    [
      "the IIS SMTP service's default field set",
      '#Software: Microsoft Internet Information Services 6.0\n#Version: 1.0\n#Date: 2026-11-28 22:00:00\n#Fields: time c-ip cs-method cs-uri-stem sc-status\n22:20:01 10.0.2.62 EHLO - 250\n',
      /looks like an IIS SMTP service log whose #Fields: lack cs-username, cs-uri-query: .*the service's default field set logs none/,
    ],
    [
      'another IIS W3C log',
      '#Software: Microsoft Internet Information Services 6.0\n#Fields: date time s-ip cs-uri-stem sc-status\n',
      /looks like a W3C extended log of IIS .*separated by spaces/,
    ],
    [
      'a Graph message trace page',
      '{\n  "@odata.context": "https://graph.microsoft.com/beta/$metadata#admin/exchange/tracing/messageTraces",\n  "value": [\n    { "receivedDateTime": "2026-11-28T10:02:12Z", "status": "failed" }\n  ]\n}\n',
      /JSON, not CSV: a Microsoft Graph message trace response \(GET \/admin\/exchange\/tracing\/messageTraces\)/,
    ],
    [
      'ConvertTo-Json of Get-MessageTrace',
      '[\r\n    {\r\n        "Received":  "2026-11-28T10:02:12",\r\n        "SenderAddress":  "scanner@contoso.com",\r\n        "MessageTraceId":  "4f3e2d1c-0b9a-4c8d-9e7f-6a5b4c3d2e1f"\r\n    }\r\n]\r\n',
      /JSON, not CSV: a message trace \(Get-MessageTrace \| ConvertTo-Json\), but not records relay-audit reads as a message trace \(.*\)\. Export the trace as CSV/,
    ],
    [
      'NDJSON of trace records',
      '{"Received":"2026-11-28T10:02:12Z","SenderAddress":"scanner@contoso.com","RecipientAddress":"vendor@adatum.com","Status":"Failed"}\n',
      /JSON, not CSV: newline-delimited JSON .* of message trace records/,
    ],
    [
      'any other JSON',
      '[1, 2, 3]\n',
      /JSON that is no message trace\. relay-audit reads JSON only as a message trace/,
    ],
    [
      'NDJSON of other records',
      '{"foo":1}\n',
      /newline-delimited JSON .* of records that are no message trace\. relay-audit reads JSON only as a message trace/,
    ],
    [
      'a one-line JSON page of other records (not NDJSON)',
      '{"value":[{"foo":1}]}',
      /^(?!.*newline-delimited).*JSON that is no message trace/s,
    ],
    [
      'a syslog file without mail lines (mail logs are told apart before CSV detection: relay-logs.test.ts)',
      'Nov 28 22:15:03 relay1 sshd[4711]: Accepted publickey for admin from 192.0.2.7 port 50022\n',
      /looks like a syslog file \(sshd lines\) without a Postfix, sendmail or Exim line in its first 64 KB/,
    ],
  ])('names %s', async (_name, text, expected) => {
    const message = await messageOf(text);
    expect(message).toMatch(expected);
    expect(message).not.toMatch(/has the headers|is no header relay-audit knows/);
    // Named, it gets no list of the formats read.
    expect(message).not.toMatch(/Known formats:/);
  });

  it('names a JSON document with no line break in the first 256 KB', async () => {
    const huge = `{"@odata.context":"https://graph.microsoft.com/beta/$metadata#admin/exchange/tracing/messageTraces","value":[${'{"receivedDateTime":"2026-11-28T10:02:12Z","status":"delivered"},'.repeat(5000)}{}]}`;
    const error = await detectFormat(split(huge, 16 * 1024), 'input.csv').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownFormatError);
    expect((error as Error).message).toMatch(/JSON, not CSV: a Microsoft Graph message trace response/);
  });
});
