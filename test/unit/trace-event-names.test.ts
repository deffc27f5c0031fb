/**
 * Detail events in the admin's language: a German `Empfangen` (Receive) is the receipt that proves a
 * message first arrived for an internal mailbox, so its refusal to an outside address is forwarding.
 */
import { describe, expect, it } from 'vitest';
import { analyzeFiles } from '../support/analyze-text.js';

const HEADER =
  '"Date","MessageId","MessageTraceId","RecipientAddress","SenderAddress","Event","Action","Detail","Data"';
const TRACE_ID = '0b3c9f5e-1111-4a2b-9c3d-000000000001';
const REASON =
  'Reason: [{LED=550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]};{MSG=};{FQDN=};{IP=};{LRT=}]';

function detail(receiveEvent: string): string {
  return [
    HEADER,
    `"2026-11-28T22:15:01.0000000Z","<fw1@fabrikam.com>","${TRACE_ID}","kate@contoso.com","john@fabrikam.com","${receiveEvent}","","Message received by: AM0PR01MB1234.eurprd01.prod.exchangelabs.com",""`,
    `"2026-11-28T22:15:03.0000000Z","<fw1@fabrikam.com>","${TRACE_ID}","kate@tailspintoys.com","john@fabrikam.com","Fail","","${REASON}",""`,
    '',
  ].join('\r\n');
}

describe('message trace detail events in another language', () => {
  it.each(['Receive', 'Empfangen', 'EMPFANGEN'])('reads %s as the receipt: forwarding', async (name) => {
    const { findings } = await analyzeFiles([{ name: 'detail.csv', content: detail(name) }]);
    expect(findings.map((finding) => [finding.recipient, finding.scenario])).toEqual([
      ['kate@tailspintoys.com', 'forwarding'],
    ]);
  });

  it('does not take an event it does not know for a receipt', async () => {
    const { findings } = await analyzeFiles([{ name: 'detail.csv', content: detail('Xyz') }]);
    expect(findings.map((finding) => finding.scenario)).toEqual(['foreign-sender-domain']);
  });
});
