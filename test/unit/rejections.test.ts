import { describe, expect, it } from 'vitest';
import { isRelayAttribution, mayBeRelayRejection, parseRejection } from '../../functions/core/rejections.js';

describe('parseRejection', () => {
  it('parses the ATTR36 refusal with its front end', () => {
    expect(
      parseRejection(
        '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]',
      ),
    ).toEqual({
      smtpCode: '550',
      enhancedCode: '5.7.64',
      attr: 'ATTR36',
      remoteHost: 'AM0PR01MB1234.eurprd01.prod.exchangelabs.com',
      text: '550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]',
    });
  });

  it('finds the real error inside a queue wrapper', () => {
    const rejection = parseRejection(
      '550 4.4.7 QUEUE.Expired; message expired [{LED=451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35 [SRV.outlook.com]};{MSG=};{FQDN=contoso-com.mail.protection.outlook.com};{IP=52.101.1.1};{LRT=11/28/2026 9:15:03 PM}]',
    );
    expect(rejection).toMatchObject({
      smtpCode: '451',
      enhancedCode: '4.4.62',
      attr: 'ATTR35',
      remoteHost: 'SRV.outlook.com',
    });
    expect(rejection && isRelayAttribution(rejection)).toBe(true);
  });

  it('reads message trace detail text', () => {
    const rejection = parseRejection(
      'Reason: [{LED=550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [X.prod.exchangelabs.com]};{MSG=};{FQDN=a};{IP=1.1.1.1};{LRT=}]. OutboundProxyTargetIP: 52.101.1.1.',
    );
    expect(rejection).toMatchObject({ enhancedCode: '5.7.64', attr: 'ATTR36' });
  });

  it('accepts the colon spelling and the SMTP suffix without ATTR', () => {
    expect(parseRejection('550 5.7.64 TenantAttribution: Relay Access Denied SMTP')).toMatchObject({
      enhancedCode: '5.7.64',
    });
    expect(parseRejection('550 5.7.64 TenantAttribution: Relay Access Denied SMTP')?.attr).toBeUndefined();
  });

  it.each([
    '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup',
    '550 5.7.26 This message failed DMARC',
    '550 4.4.7 QUEUE.Expired; message expired [{LED=441 4.4.1 Error encountered while communicating with primary target IP address};{MSG=}]',
    '550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain',
    '554 5.4.14 Hop count exceeded - possible mail loop ATTR34',
    '550 5.4.1 Relay Access Denied',
  ])('does not treat "%s" as a relay-attribution refusal', (text) => {
    const rejection = parseRejection(text);
    expect(rejection).toBeDefined();
    expect(rejection && isRelayAttribution(rejection)).toBe(false);
  });

  it('returns nothing for texts without a status code', () => {
    expect(parseRejection('250 OK')).toBeUndefined();
    expect(parseRejection('')).toBeUndefined();
  });

  it('pre-check never misses a refusal', () => {
    expect(mayBeRelayRejection('550 5.7.64 TenantAttribution')).toBe(true);
    expect(mayBeRelayRejection('451 4.4.62 wrong region')).toBe(true);
    expect(mayBeRelayRejection('250 2.0.0 OK')).toBe(false);
  });
});
