/**
 * The one-line `Sending certificate` form of an Exchange send protocol log: `Subject Issuer name
 * Serial number Thumbprint Not before Not after Subject alternate names`, values space-separated.
 * A serial number is 1 to 20 bytes (RFC 5280 §4.1.2.2): OpenSSL (`req -x509`, `openssl ca`),
 * HashiCorp Vault PKI and several CAs issue 20-byte ones, 40 hex like the SHA-1 thumbprint after it.
 */
import { describe, expect, it } from 'vitest';
import { certificateLine } from '../../functions/core/analysis/formats/protocol-certificate.js';
import { analyzeFiles } from '../support/analyze-text.js';

const CONTEXT =
  'Sending certificate Subject Issuer name Serial number Thumbprint Not before Not after Subject alternate names';
const SUBJECT = 'CN=mail.contoso.com, O=Contoso Ltd, C=US';
const ISSUER = 'CN=Contoso Issuing CA, O=Contoso, C=US';
const THUMBPRINT = '5B8E2C0D71F94A36E8B0C5D2A7F1E4936C0B8D25';
const SERIAL_20_BYTES = '4F0A9C2E71B35D8826E04F0A9C2E71B35D8826E0';

/** The certificate the one-line form with serial number `serial` describes. */
function oneLine(serial: string, dates = '2025-06-01T00:00:00.000Z 2026-06-01T00:00:00.000Z') {
  const line = certificateLine(
    `${SUBJECT} ${ISSUER} ${serial} ${THUMBPRINT} ${dates} mail.contoso.com;autodiscover.contoso.com`,
    CONTEXT,
  );
  if (line?.kind !== 'sending-whole') throw new Error(`not the one-line form: ${JSON.stringify(line)}`);
  return line.certificate;
}

describe('the one-line certificate form', () => {
  it('takes a 40-hex serial number for the serial number, not for the thumbprint after it', () => {
    expect(oneLine(SERIAL_20_BYTES)).toEqual({
      subject: SUBJECT,
      issuer: ISSUER,
      serialNumber: SERIAL_20_BYTES,
      thumbprint: THUMBPRINT,
      notBefore: '2025-06-01T00:00:00.000Z',
      notAfter: '2026-06-01T00:00:00.000Z',
      names: ['mail.contoso.com', 'autodiscover.contoso.com'],
      alternateNames: ['mail.contoso.com', 'autodiscover.contoso.com'],
    });
  });

  it('reads serial numbers of every length, and dates of several tokens', () => {
    for (const serial of [
      '01',
      '0A',
      '1F3',
      '61D0E3A95B7C24F8',
      '61D0E3A95B7C24F861D0E3A95B7C24F8',
      SERIAL_20_BYTES,
    ]) {
      expect(oneLine(serial), serial).toMatchObject({
        issuer: ISSUER,
        serialNumber: serial,
        thumbprint: THUMBPRINT,
        notAfter: '2026-06-01T00:00:00.000Z',
      });
    }
    expect(oneLine(SERIAL_20_BYTES, '6/1/2025 12:00:00 AM 6/1/2026 11:59:59 PM')).toMatchObject({
      serialNumber: SERIAL_20_BYTES,
      thumbprint: THUMBPRINT,
      notBefore: '6/1/2025 12:00:00 AM',
      notAfter: '6/1/2026 11:59:59 PM',
    });
  });
});

describe('an expired certificate in the one-line form, with a 20-byte serial number', () => {
  const log = (serial: string) =>
    [
      '#Software: Microsoft Exchange Server',
      '#Version: 15.02.1544.004',
      '#Log-type: SMTP Send Protocol Log',
      '#Date: 2026-11-28T09:00:00.012Z',
      '#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context',
      '2026-11-28T09:10:08.000Z,Outbound to Office 365,08DF006B9F7584FD,0,,52.101.1.1:25,*,,attempting to connect',
      '2026-11-28T09:10:08.001Z,Outbound to Office 365,08DF006B9F7584FD,1,10.0.1.11:52134,52.101.1.1:25,+,,',
      '2026-11-28T09:10:08.002Z,Outbound to Office 365,08DF006B9F7584FD,2,10.0.1.11:52134,52.101.1.1:25,<,220 AM0PR01MB1234.eurprd01.prod.exchangelabs.com Microsoft ESMTP MAIL Service ready,',
      '2026-11-28T09:10:08.003Z,Outbound to Office 365,08DF006B9F7584FD,3,10.0.1.11:52134,52.101.1.1:25,>,EHLO mail.contoso.com,',
      '2026-11-28T09:10:08.004Z,Outbound to Office 365,08DF006B9F7584FD,4,10.0.1.11:52134,52.101.1.1:25,<,250  AM0PR01MB1234.eurprd01.prod.exchangelabs.com Hello [203.0.113.25] SIZE 157286400 PIPELINING STARTTLS,',
      '2026-11-28T09:10:08.005Z,Outbound to Office 365,08DF006B9F7584FD,5,10.0.1.11:52134,52.101.1.1:25,>,STARTTLS,',
      '2026-11-28T09:10:08.006Z,Outbound to Office 365,08DF006B9F7584FD,6,10.0.1.11:52134,52.101.1.1:25,<,220 2.0.0 SMTP server ready,',
      `2026-11-28T09:10:08.007Z,Outbound to Office 365,08DF006B9F7584FD,7,10.0.1.11:52134,52.101.1.1:25,*,"${SUBJECT} ${ISSUER} ${serial} ${THUMBPRINT} 2025-06-01T00:00:00.000Z 2026-06-01T00:00:00.000Z mail.contoso.com;autodiscover.contoso.com",${CONTEXT}`,
      '2026-11-28T09:10:08.008Z,Outbound to Office 365,08DF006B9F7584FD,8,10.0.1.11:52134,52.101.1.1:25,>,EHLO mail.contoso.com,',
      '2026-11-28T09:10:08.009Z,Outbound to Office 365,08DF006B9F7584FD,9,10.0.1.11:52134,52.101.1.1:25,<,250 ok,',
      '2026-11-28T09:10:08.010Z,Outbound to Office 365,08DF006B9F7584FD,10,10.0.1.11:52134,52.101.1.1:25,*,,sending message with RecordId 22157924881 and InternetMessageId <AAA1@EX01.contoso.local>',
      '2026-11-28T09:10:08.011Z,Outbound to Office 365,08DF006B9F7584FD,11,10.0.1.11:52134,52.101.1.1:25,>,MAIL FROM:<finance@contoso.com> SIZE=22904,',
      '2026-11-28T09:10:08.012Z,Outbound to Office 365,08DF006B9F7584FD,12,10.0.1.11:52134,52.101.1.1:25,>,RCPT TO:<supplier@litware.com>,',
      '2026-11-28T09:10:08.013Z,Outbound to Office 365,08DF006B9F7584FD,13,10.0.1.11:52134,52.101.1.1:25,<,250 2.1.0 Sender OK,',
      '2026-11-28T09:10:08.014Z,Outbound to Office 365,08DF006B9F7584FD,14,10.0.1.11:52134,52.101.1.1:25,<,550 5.7.64 TenantAttribution; Relay Access Denied [AM0PR01MB1234.eurprd01.prod.exchangelabs.com],',
      '2026-11-28T09:10:08.015Z,Outbound to Office 365,08DF006B9F7584FD,15,10.0.1.11:52134,52.101.1.1:25,>,QUIT,',
      '2026-11-28T09:10:08.016Z,Outbound to Office 365,08DF006B9F7584FD,16,10.0.1.11:52134,52.101.1.1:25,-,,Local',
    ].join('\r\n');

  it('says it had expired and has it renewed, as with a shorter serial number', async () => {
    for (const serial of [SERIAL_20_BYTES, '61D0E3A95B7C24F8']) {
      const { findings } = await analyzeFiles([{ name: `SEND-${serial.length}.LOG`, content: log(serial) }], {
        accepted: 'contoso.com',
      });
      expect(findings).toHaveLength(1);
      const [finding] = findings;
      expect(finding?.scenario).toBe('connector-mismatch');
      const shown = finding?.evidence.find((item) => item.kind === 'presented-certificate')?.detail;
      expect(shown).toContain(`thumbprint ${THUMBPRINT}`);
      expect(shown).not.toContain(serial);
      expect(finding?.evidence.find((item) => item.kind === 'certificate-expired')?.detail).toMatch(
        /had expired \(on 2026-06-01\) before the refusal/,
      );
      expect(finding?.remediation.steps[0]).toMatch(
        /Change the certificate, not the connector: it had expired \(on 2026-06-01\)/,
      );
    }
  });
});
