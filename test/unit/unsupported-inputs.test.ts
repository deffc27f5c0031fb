/**
 * What detection says of inputs it does not read (input/unsupported-inputs.ts): message tracking
 * rows a SIEM stores under the tracking log's own field names, told from an EAC report with columns
 * left out; lines that start with `[` but are no JSON (journalctl's `-o short-monotonic` and
 * `-o short-delta`), told from JSON that is; an IIS SMTP log without cs-username; the Non-accepted
 * domain and Auto-forwarded messages reports of the new EAC, by their header in any spelling; and the
 * refusal line every such message names.
 */
import { describe, expect, it } from 'vitest';
import { detectFormat } from '../../functions/core/analysis/input/detect.js';
import { describeUnsupported } from '../../functions/core/analysis/input/unsupported-inputs.js';
import { UnknownFormatError } from '../../functions/core/kernel/errors.js';

async function* chunks(text: string): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += 7) yield text.slice(i, i + 7);
}

/** The message detection refuses `text` with, without the list of known formats after it. */
async function refusal(text: string): Promise<string> {
  const error = await detectFormat(chunks(text), 'input.csv').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UnknownFormatError);
  // A file named as what it is gets no list of the formats read (detect.test.ts), one not named does.
  const [message] = (error as Error).message.split('\nKnown formats:\n');
  return message ?? '';
}

const STATUS =
  '550 5.7.64 TenantAttribution; Relay Access Denied [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]';
const TRACKING_ADVICE =
  'Analyse the MSGTRK*.LOG files themselves, or a CSV export with Recipients and RecipientStatus joined in its ' +
  "Select-Object (@{n='Recipients';e={$_.Recipients -join ';'}}, @{n='RecipientStatus';e={$_.RecipientStatus -join ';'}}: " +
  '"Exports that work" in the README).';

describe('message tracking rows exported from a SIEM or log service', () => {
  it.each([
    [
      'Microsoft Sentinel (MessageTrackingLog_CL, portal CSV)',
      'TimeGenerated [UTC],clientIP,source,eventId,messageId,recipientAddress,recipientStatus,senderAddress,returnPath,FilePath,TenantId,Type',
      `"11/28/2026, 9:10:45.301 AM",10.0.1.11,SMTP,FAIL,<28B7@EX01.contoso.local>,supplier@litware.com,${STATUS},Finance@contoso.com,Finance@contoso.com,C:\\MSGTRK2026112800-1.LOG,8f1c,MessageTrackingLog_CL`,
      'eventId, messageId, recipientAddress, recipientStatus, senderAddress',
      'TimeGenerated [UTC]',
    ],
    [
      'Splunk (| table *)',
      '_time,host,source,sourcetype,date_time,event_id,message_id,recipient_address,recipient_status,sender_address,return_path,_raw',
      `2026-11-28 09:10:45.301 UTC,EX01,MSGTRK2026112800-1.LOG,MSExchange:2013:MessageTracking,2026-11-28T09:10:45.301Z,FAIL,<28B7@EX01.contoso.local>,supplier@litware.com,${STATUS},Finance@contoso.com,Finance@contoso.com,x`,
      'event_id, message_id, recipient_address, recipient_status, sender_address',
      'date_time',
    ],
    [
      'Elastic (Kibana Discover CSV, the fields as a Logstash pipeline named them)',
      '@timestamp,host.name,event_id,message_id,recipient_address,recipient_status,sender_address',
      `"Nov 28, 2026 @ 09:10:45.301",EX01,FAIL,<28B7@EX01.contoso.local>,supplier@litware.com,${STATUS},Finance@contoso.com`,
      'event_id, message_id, recipient_address, recipient_status, sender_address',
      '@timestamp',
    ],
  ])(
    'names %s by the fields it holds, with what to analyse instead and its refusal',
    async (_name, header, row, fields, time) => {
      const message = await refusal(`${header}\r\n${row}\r\n`);
      expect(message).toContain(
        `input.csv: looks like message tracking events exported from a SIEM or log service: its header on line 1 ` +
          `holds the tracking log's own fields (${fields}) with the date in ${time}, which relay-audit does not read yet. ` +
          `${TRACKING_ADVICE} Line 2 holds a relay refusal (`,
      );
      expect(message).toMatch(/\): it is not counted until the file is read\.$/);
      expect(message).not.toMatch(/Historical search|columns left out|Exchange admin center/);
    },
  );

  it('leaves an Extended report without its date column to the report, the closest of equally short formats', async () => {
    // The tracking fields in the report's spelling and no date column of a SIEM: a report cut short.
    const message = await refusal(
      'client_ip,event_id,message_id,recipient_address,recipient_status,sender_address\n10.0.1.11,RECEIVE,<a@b>,x@litware.com,,y@contoso.com\n',
    );
    expect(message).toMatch(
      /^input\.csv: looks like Historical search Extended report with columns left out: its header on line 1 lacks date_time_utc \(/,
    );
    expect(message).toMatch(/Download the report again from the Exchange admin center/);
    expect(message).toMatch(/It holds no relay refusal\.$/);
  });

  it('leaves a Get-MessageTrackingLog export without MessageId to the export (its own names: Sender, Recipients)', async () => {
    const message = await refusal('Timestamp,EventId,Source,Sender,Recipients,RecipientStatus\n');
    expect(message).toMatch(
      /looks like Get-MessageTrackingLog \| Export-Csv with columns left out: .* lacks messageid/,
    );
  });
});

describe('lines that start with a bracket', () => {
  const journal = (stamp: (second: number) => string) =>
    [
      `${stamp(1000)} relay01 systemd[1]: Starting Clean php session files...`,
      `${stamp(1001)} relay01 postfix/smtpd[24110]: 3F7A21C0B4: client=app01.contoso.local[10.0.2.40]`,
      `${stamp(1002)} relay01 postfix/smtp[24117]: 3F7A21C0B4: to=<noc@adatum.com>, relay=contoso-com.mail.protection.outlook.com[52.101.1.1]:25, delay=0.9, dsn=5.7.64, status=bounced (host contoso-com.mail.protection.outlook.com[52.101.1.1] said: ${STATUS} (in reply to RCPT TO command))`,
    ].join('\n');

  it.each([
    ['short-monotonic', (second: number) => `[ ${second}.000000]`],
    ['short-delta', (second: number) => `[ ${second}.000000 <    1.000000>]`],
  ])(
    'names journalctl -o %s output, with the journalctl advice and the refusal line',
    async (mode, stamp) => {
      const message = await refusal(`${journal(stamp)}\n`);
      expect(message).toMatch(
        new RegExp(
          `^input\\.csv: looks like journalctl -o ${mode} output: its lines are stamped with seconds since boot, not a date`,
        ),
      );
      expect(message).toMatch(/journalctl -u postfix -o short-iso > mail\.log, or -o json/);
      expect(message).toMatch(/Line 3 holds a relay refusal \(550 5\.7\.64 TenantAttribution/);
      expect(message).not.toMatch(/JSON that is|JSON, not CSV/);
    },
  );

  it('does not call another bracketed line JSON', async () => {
    const message = await refusal('[mysqld]\nport=3306\n');
    expect(message).toMatch(/unknown format\. Line 1 is no header relay-audit knows: "\[mysqld\]"/);
    expect(message).not.toMatch(/JSON/);
  });

  it.each([
    ['a whole array on its line', '[1, 2, 3]\n'],
    ['ConvertTo-Json: the bracket alone', '[\r\n    {\r\n        "Foo":  1\r\n    }\r\n]\r\n'],
    ['an array of objects going on over lines', '[{"foo": 1, "bar": [true, null, -1.5e3]},\n{"foo": 2}]\n'],
    ['an empty array', '[]\n'],
  ])('still calls JSON %s', async (_name, text) => {
    expect(await refusal(text)).toMatch(/^input\.csv: JSON that is no message trace\./);
  });

  it.each([
    [
      'NDJSON with the NaN and Infinity Python writes',
      '{"size": NaN, "delay": Infinity}\n{"size": -Infinity}\n',
    ],
    [
      'objects a writer joined with commas',
      `${[1, 2].map((n) => JSON.stringify({ host: 'relay01', message: `line ${n}: ${STATUS}` })).join(',\n')}\n`,
    ],
  ])('calls %s JSON, not a CSV with headers', async (_name, text) => {
    const message = await refusal(text);
    expect(message).toMatch(/JSON/);
    expect(message).not.toMatch(/unknown format|has the headers|is no header relay-audit knows/);
  });

  it('calls JSON every start of a JSON line, however it was cut', () => {
    // Detection hands over at most 16 KB of a line: a document of one long line is cut anywhere.
    const line =
      '[{"Received":"2026-11-28T10:02:12","Size":-1.5e3,"Ok":true,"Tags":[],"More":{},"Note":"a \\"b\\" c","Nil":null}]';
    expect(JSON.parse(line)).toHaveLength(1);
    for (let end = 1; end <= line.length; end++) {
      const text = line.slice(0, end);
      const said = describeUnsupported({
        text,
        line: 1,
        fieldsDirective: false,
        cells: [text],
        preamble: [],
        sample: '',
      });
      expect([text, said?.startsWith('JSON')]).toEqual([text, true]);
    }
  });
});

describe('JSON a log shipper writes', () => {
  it('names the line of a Fluent Bit plain file that holds a refusal', async () => {
    const lines = [
      'Nov 28 22:10:01 relay01 systemd[1]: Starting Clean php session files...',
      `Nov 28 22:10:03 relay01 postfix/smtp[24117]: 3F7A21C0B4: to=<noc@adatum.com>, dsn=5.7.64, status=bounced (host said: ${STATUS})`,
    ];
    const message = await refusal(`${lines.map((log) => JSON.stringify({ log })).join('\n')}\n`);
    expect(message).toMatch(
      /^input\.csv: JSON, not CSV: newline-delimited JSON .* of records that are no message trace\./,
    );
    expect(message).toMatch(/Line 2 holds a relay refusal \(550 5\.7\.64 TenantAttribution/);
  });

  it('says when JSON holds no refusal', async () => {
    expect(await refusal('[1, 2, 3]\n')).toMatch(
      /JSON that is no message trace\. .* It holds no relay refusal\.$/,
    );
  });
});

describe('an IIS SMTP service log short of the fields the reader needs', () => {
  const PREAMBLE =
    '#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2026-11-28 22:00:00\n';

  it('without cs-username: names the refusal its replies hold, which cannot be paired with its message', async () => {
    // Extended Properties with every field ticked but User Name (cs-username).
    const message = await refusal(
      `${PREAMBLE}#Fields: date time c-ip s-computername cs-method cs-uri-query sc-status\n` +
        '2026-11-28 22:20:02 52.101.1.1 RELAY02 - 220+AM0PR01MB1234.eurprd01.prod.exchangelabs.com+Microsoft+ESMTP+MAIL+Service+ready 0\n' +
        '2026-11-28 22:20:02 52.101.1.1 RELAY02 MAIL FROM:<scans@contoso.com>+SIZE=92160 0\n' +
        '2026-11-28 22:20:02 52.101.1.1 RELAY02 - 250+2.1.0+Sender+OK 0\n' +
        '2026-11-28 22:20:02 52.101.1.1 RELAY02 RCPT TO:<orders@fourthcoffee.com> 0\n' +
        '2026-11-28 22:20:03 52.101.1.1 RELAY02 - 550+5.7.64+TenantAttribution;+Relay+Access+Denied+ATTR36 0\n',
    );
    expect(message).toMatch(
      /^input\.csv: looks like an IIS SMTP service log whose #Fields: lack cs-username: relay-audit needs it to pair a remote server's reply with the MAIL FROM and RCPT TO it answers \(cs-username tells the relay's commands, OutboundConnectionCommand, from the server's replies, OutboundConnectionResponse\)/,
    );
    expect(message).toContain('Line 9 holds a relay refusal (');
    expect(message).toMatch(
      /Enable them .*date, time, c-ip, cs-username, cs-method, cs-uri-query\) and analyse the logs written after\.$/,
    );
    expect(message).not.toMatch(/holds no remote server's replies|cannot show a refusal/);
  });

  it('with the default field set: holds no replies, and says so', async () => {
    const message = await refusal(
      `${PREAMBLE}#Fields: time c-ip cs-method cs-uri-stem sc-status\n22:20:01 10.0.2.62 EHLO - 250\n`,
    );
    expect(message).toMatch(
      /lack cs-username, cs-uri-query: without them it holds no remote server's replies/,
    );
    expect(message).toContain('It holds no relay refusal.');
  });
});

describe('PowerShell output shown with Format-List or Format-Table, and pasted bounces', () => {
  const EXPORT_CSV = '| Export-Csv -NoTypeInformation -Encoding UTF8 in place of ';

  it('names Get-MessageTrackingLog | fl, with the Export-Csv recipe and its refusal', async () => {
    const block = [
      'RunspaceId              : 779ae3c8-728b-4078-aa88-1e8b7f3d0b43',
      'Timestamp               : 28-11-26 08:12:41',
      'EventId                 : FAIL',
      'MessageId               : <7B47@EX01.contoso.local>',
      'Recipients              : {partner@fabrikam.com}',
      `RecipientStatus         : {${STATUS}}`,
      'Sender                  : peter@contoso.com',
    ];
    const message = await refusal(`\r\n\r\n${block.join('\r\n')}\r\n\r\n`);
    expect(message).toMatch(
      /^input\.csv: looks like Get-MessageTrackingLog output shown with Format-List \(`Name : value` lines, a block for each\): text laid out for the screen/,
    );
    expect(message).toContain(`Run the same Get-MessageTrackingLog command with ${EXPORT_CSV}| Format-List`);
    expect(message).toContain("@{n='Recipients';e={$_.Recipients -join ';'}}");
    expect(message).toContain('or analyse the MSGTRK*.LOG files themselves.');
    expect(message).toMatch(
      /Line 8 holds a relay refusal \(.*\): it is not counted until the CSV export of the same events is analysed\.$/,
    );
    expect(message).not.toMatch(/unknown format|is no header/);
  });

  it.each([
    [
      'Get-MessageTrace | ft (its headings in two words)',
      'Received            Sender Address     Recipient Address     Subject    Status\n' +
        '--------            --------------     -----------------     -------    ------\n' +
        '28/11/2026 09:10:45 app@contoso.com    supplier@litware.com  Invoice    Failed\n',
      'Get-MessageTrace',
      'Format-Table',
      'Run the same Get-MessageTraceV2 command with ',
    ],
    [
      'Get-MessageTrackingLog | ft',
      'EventId Source Sender          Recipients             RecipientStatus\n' +
        '------- ------ ------          ----------             ---------------\n' +
        `FAIL    SMTP   app@contoso.com {supplier@litware.com} {${STATUS.slice(0, 40)}...}\n`,
      'Get-MessageTrackingLog',
      'Format-Table',
      'Run the same Get-MessageTrackingLog command with ',
    ],
    [
      'Get-MessageTraceDetailV2 | fl',
      'Organization   : contoso.onmicrosoft.com\nMessageId      : <a@b>\nMessageTraceId : 0a1b\n' +
        'Date           : 28/11/2026 09:10:45\nEvent          : Fail\nDetail         : Reason: [{LED=550 5.7.64 TenantAttribution}]\n',
      'Get-MessageTraceDetail',
      'Format-List',
      'Run the same Get-MessageTraceDetailV2 command with ',
    ],
  ])('names %s with the Export-Csv recipe', async (_name, text, cmdlet, shown, recipe) => {
    const message = await refusal(text);
    expect(message).toMatch(new RegExp(`^input\\.csv: looks like ${cmdlet} output shown with ${shown} `));
    expect(message).toContain(`${recipe}${EXPORT_CSV}| ${shown}`);
  });

  it('leaves Format-List output of another cmdlet to the generic message', async () => {
    const message = await refusal(
      'Identity       : EX01\\Submission\nDeliveryType   : Undefined\nStatus         : Ready\nMessageCount   : 0\n',
    );
    expect(message).toMatch(/^input\.csv: unknown format\. Line 1 is no header relay-audit knows/);
  });

  it('names a pasted NDR, with the logs and trace of that time to analyse instead', async () => {
    const ndr =
      "Delivery has failed to these recipients or groups: partner@fabrikam.com Your message wasn't delivered. " +
      'Diagnostic information for administrators: Generating server: EX01.contoso.local ' +
      `partner@fabrikam.com AM5EUR02FT025.mail.protection.outlook.com #${STATUS} ## Original message headers:`;
    const message = await refusal(`${ndr}\n`);
    expect(message).toMatch(/^input\.csv: looks like a non-delivery report \(NDR\) pasted or saved as text/);
    expect(message).toContain('the message tracking logs of EX01.contoso.local, the NDR');
    expect(message).toContain('Get-MessageTrackingLog -Start … -End … | Export-Csv -NoTypeInformation');
    expect(message).toContain('Get-MessageTraceV2 -StartDate … -EndDate … | Export-Csv -NoTypeInformation');
    expect(message).toMatch(
      /Line 1 holds a relay refusal \(.*\): it is not counted until the logs or the trace of that time are analysed\.$/,
    );
  });

  it('names an email saved as text by its headers', async () => {
    const message = await refusal(
      'Received: from EX01.contoso.local (10.0.1.11) by EX02.contoso.local\nFrom: Microsoft Outlook <postmaster@contoso.com>\n' +
        'To: peter@contoso.com\nSubject: Undeliverable: Quarterly figures\n\nThe message could not be sent.\n',
    );
    expect(message).toMatch(/^input\.csv: looks like an email message pasted or saved as text/);
    expect(message).toContain('the message tracking logs of the Exchange server that relayed it');
    expect(message).toMatch(/It holds no relay refusal\.$/);
  });
});

describe('mail flow reports of the new Exchange admin center', () => {
  const NAD_START =
    /^input\.csv: looks like the Non-accepted domain report of the new Exchange admin center \(Reports > Mail flow; its header on line (\d+): /;

  it('names the Non-accepted domain report, its sender domains and what to do', async () => {
    const message = await refusal(
      'Date,Inbound connector name,Sender domain,Count,Sample messages\r\n' +
        '2026-11-28,On-prem to EXO,fabrikam.com,42,"<a1@mail.fabrikam.com>;<a2@mail.fabrikam.com>"\r\n',
    );
    expect(message).toBe(
      'input.csv: looks like the Non-accepted domain report of the new Exchange admin center (Reports > Mail flow; ' +
        'its header on line 1: Inbound connector name, Sender domain, Count, Sample messages…), which relay-audit ' +
        'does not read: it holds no refusals, but counts messages from your on-premises servers that Exchange ' +
        'Online accepted (and may throttle) although their sender domain is not an accepted domain of the tenant. ' +
        'Its sender domains (fabrikam.com: 42 messages) are the ones at risk: Exchange Online relays their mail ' +
        'only through a certificate-based inbound connector whose certificate names an accepted domain (since ' +
        'November 2023 the header From no longer counts), and refuses it otherwise with 550 5.7.64 ' +
        "(relay-audit's foreign-sender-domain); confirm yours with relay-audit check --accepted-domains … " +
        '--connectors … --certificate … (Get-AcceptedDomain | Export-Csv, Get-InboundConnector | ConvertTo-Json, ' +
        "the server's certificate as PEM). To find the refused messages, analyse the on-premises servers' message " +
        'tracking logs (MSGTRK*.LOG), or a message trace of the failures with its details (Get-MessageTraceV2 ' +
        '-Status Failed … | Export-Csv -NoTypeInformation -Encoding UTF8, and Get-MessageTraceDetailV2 … | ' +
        'Export-Csv for the refusal texts).',
    );
  });

  it('is told by its header whatever the case, spaces, order, delimiter or BOM, and adds up its counts', async () => {
    // A de-DE re-save: `;`, a BOM, upper case, columns moved, one added and Sample messages left out;
    // the counts grouped as a culture writes them, and a cell that is no domain name passed over.
    const message = await refusal(
      '\uFEFFSENDER DOMAIN;Count;Notes;Inbound_Connector_Name;DATE\r\n' +
        'adatum.com;"1.204";;On-premises;24.11.2026\r\n' +
        'fabrikam.com;7;;On-premises;24.11.2026\r\n' +
        'adatum.com;3;checked;On-premises;25.11.2026\r\n' +
        '"evil.com\u001b[2J";99999;;On-premises;25.11.2026\r\n' +
        'litware.com;2;;Scanners;25.11.2026\r\n' +
        'tailspintoys.com;1;;Scanners;26.11.2026\r\n',
    );
    expect(message).toMatch(NAD_START);
    expect(message).toContain('its header on line 1: Inbound_Connector_Name, SENDER DOMAIN, Count…)');
    expect(message).toContain(
      'Its sender domains (adatum.com: 1,207 messages, fabrikam.com: 7, litware.com: 2, and 1 more domain) are the ones at risk',
    );
    expect(message).not.toContain('evil');
    expect(message).not.toContain('\u001b');
  });

  it('names the domains without counts when the Count column is not there', () => {
    const said = describeUnsupported({
      text: 'Inbound connector,Sender domain,Sample messages',
      line: 3,
      fieldsDirective: false,
      cells: ['Inbound connector', 'Sender domain', 'Sample messages'],
      preamble: [],
      sample:
        'Inbound connector,Sender domain,Sample messages\nOn-premises,fabrikam.com,<a@b>\nOn-premises,adatum.com,<c@d>',
    });
    expect(said).toMatch(
      /^looks like the Non-accepted domain report .* its header on line 3: Inbound connector, Sender domain, Sample messages…\)/,
    );
    expect(said).toContain('Its sender domains (adatum.com, fabrikam.com) are the ones at risk');
  });

  it('says which rows the domains come from when the file is longer than the sample', async () => {
    const rows = Array.from(
      { length: 400 },
      (_, n) =>
        `2026-11-${String((n % 28) + 1).padStart(2, '0')},On-premises,fabrikam.com,1,"<${n}.0123456789abcdef@app01.contoso.local>"`,
    );
    const message = await refusal(
      `Date,Inbound connector name,Sender domain,Count,Sample messages\n${rows.join('\n')}\n`,
    );
    // 16 KB hold fewer than the 400 rows: the count is of the rows read, and says so.
    const counted = Number(
      /fabrikam\.com: (\d+) messages, in its first 16 KB\) are the ones at risk/.exec(message)?.[1],
    );
    expect(counted).toBeGreaterThan(100);
    expect(counted).toBeLessThan(400);
  });

  it('leaves a header with a sender domain but no connector to the generic message', async () => {
    const message = await refusal('Date,Sender domain,Count\n2026-11-28,fabrikam.com,42\n');
    expect(message).toMatch(/^input\.csv: unknown format\. Line 1 is no header relay-audit knows/);
  });

  it('names a refusal a report somehow quotes', async () => {
    const message = await refusal(
      `Date,Inbound connector name,Sender domain,Count,Sample messages\n2026-11-28,On-premises,fabrikam.com,1,"${STATUS}"\n`,
    );
    expect(message).toMatch(NAD_START);
    expect(message).toMatch(
      /Line 2 holds a relay refusal \(550 5\.7\.64 TenantAttribution.*: it is not counted until the file is read\.$/,
    );
  });

  it.each([
    [
      'with the columns others describe (Forwarders)',
      'Forwarders,Forwarding type,Recipient name,Recipient domain,Forward count',
      'Forwarders, Forwarding type, Forward count…',
    ],
    [
      'spelt otherwise, with ;',
      '\uFEFFForwarder;Forwarding Type;Recipient domain;Forwarded count',
      'Forwarder, Forwarding Type, Forwarded count…',
    ],
    ['without its count', 'Recipient domain,Forwarding method,Forwarders', 'Forwarders, Forwarding method…'],
  ])('names the Auto-forwarded messages report %s', async (_name, header, columns) => {
    const message = await refusal(`${header}\r\n`);
    expect(message).toMatch(
      /^input\.csv: looks like the Auto-forwarded messages report of the new Exchange admin center \(Reports > Mail flow; its header on line 1: /,
    );
    expect(message).toContain(`line 1: ${columns})`);
    expect(message).toContain('it counts the forwarding Exchange Online itself did');
    expect(message).toContain(
      "a REDIRECT row there, an inbox rule's forward a RECEIVE row with Source MAILBOXRULE",
    );
    expect(message).not.toContain('holds no relay refusal');
  });
});
