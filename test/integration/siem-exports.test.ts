/**
 * Mail logs as SIEMs, log services and log shippers hand them over, through the CLI in-process with
 * `--no-store --json`: message tracking rows from Microsoft Sentinel and Splunk, journalctl's
 * `-o short-monotonic` and `-o short-delta`, Fluent Bit's `Format plain`. Each is refused, saying what
 * it is, what to give relay-audit instead and where its refusal is. Fixtures:
 * test/fixtures/real-world/siem-exports/ (described in its README.md).
 */
import { describe, expect, it } from 'vitest';
import { analyzeNoStore } from '../support/analyze-no-store.js';

const DIR = 'test/fixtures/real-world/siem-exports';

/**
 * The message of the run over `file`, checked to have refused it as no format relay-audit reads,
 * naming it (so without the list of known formats).
 */
async function refusal(file: string): Promise<string> {
  const run = await analyzeNoStore(`${DIR}/${file}`, '--accepted-domains', 'contoso.com', '--year', '2026');
  expect(run.status).toBe(1);
  expect(run.findings).toEqual([]);
  expect(run.source).toMatchObject({ status: 'failed', errorCode: 'UNKNOWN_FORMAT' });
  const [message, known] = (run.source.errorMessage ?? '').split('\nKnown formats:\n');
  // A file named as what it is gets no list of the formats read: its message says what to analyse.
  expect(known).toBeUndefined();
  return message ?? '';
}

const TRACKING_ADVICE =
  'Analyse the MSGTRK*.LOG files themselves, or a CSV export with Recipients and RecipientStatus joined in its ' +
  "Select-Object (@{n='Recipients';e={$_.Recipients -join ';'}}, @{n='RecipientStatus';e={$_.RecipientStatus -join ';'}}: " +
  '"Exports that work" in the README).';
const JOURNAL_ADVICE = /journalctl -u postfix -o short-iso > mail\.log, or -o json/;

describe('message tracking rows exported from a SIEM', () => {
  it.each([
    [
      'sentinel-MessageTrackingLog_CL.csv',
      '(eventId, messageId, recipientAddress, recipientStatus, senderAddress) with the date in TimeGenerated [UTC]',
      /Line 14 holds a relay refusal \(.*\): it is not counted until the file is read\./,
    ],
    [
      'splunk-table-star-msgtrk.csv',
      '(event_id, message_id, recipient_address, recipient_status, sender_address) with the date in date_time',
      // Past the first 16 KB: a file named is searched on for its refusal, as one in a folder is.
      /Line 14 holds a relay refusal \(.*\): it is not counted until the file is read\./,
    ],
  ])(
    'names %s as tracking events from a SIEM, not as an EAC report cut short',
    async (file, fields, refusalLine) => {
      const message = await refusal(file);
      expect(message).toContain(
        `${file}: looks like message tracking events exported from a SIEM or log service: its header on line 1 holds the tracking log's own fields ${fields}, which relay-audit does not read yet. ${TRACKING_ADVICE}`,
      );
      expect(message).toMatch(refusalLine);
      expect(message).not.toMatch(/Historical search|columns left out|Exchange admin center/);
    },
  );
});

describe('journalctl output without dates', () => {
  it.each([
    ['journal-short-monotonic.log', 'short-monotonic'],
    ['journal-short-delta.log', 'short-delta'],
  ])(
    'names %s as journalctl -o %s output, with what to export and the refusal it holds',
    async (file, mode) => {
      const message = await refusal(file);
      expect(message).toContain(
        `${file}: looks like journalctl -o ${mode} output: its lines are stamped with seconds since boot, not a date`,
      );
      expect(message).toMatch(JOURNAL_ADVICE);
      expect(message).toMatch(
        /Line 7 holds a relay refusal \(550 5\.7\.64 TenantAttribution; Relay Access Denied ATTR36 /,
      );
      expect(message).not.toMatch(/JSON/);
    },
  );
});

describe("a log shipper's JSON lines", () => {
  it('names the line of a Fluent Bit plain file that holds a refusal', async () => {
    const message = await refusal('fluentbit-out_file-plain.log');
    expect(message).toMatch(
      /fluentbit-out_file-plain\.log: JSON, not CSV: newline-delimited JSON \(one object per line, as log shippers write\) of records that are no message trace\./,
    );
    expect(message).toMatch(
      /Line 7 holds a relay refusal \(550 5\.7\.64 TenantAttribution; Relay Access Denied ATTR36 .*\): it is not counted until the file is read\./,
    );
  });
});
