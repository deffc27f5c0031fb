import { describe, expect, it } from 'vitest';
import {
  isRelayAttribution,
  mayBeRelayRejection,
  parseRejection,
  relayRejectionIn,
  STATUS_SCAN_LIMIT,
} from '../../functions/core/analysis/evidence/rejections.js';

const HOST = 'AM0PR01MB1234.eurprd01.prod.exchangelabs.com';
const ATTR36 = `550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [${HOST}]`;
const ATTR35 = `451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35 [${HOST}]`;
const FAILOVER =
  'Attempted failover to alternate host, but that did not succeed. Either there are no alternate hosts, ' +
  'or delivery failed to all alternate hosts. The last endpoint attempted was 52.101.1.1:25';
/** Exchange's own wrappers around a remote answer (docs/domain.md §5). */
const primaryTarget = (answer: string) =>
  `451 4.4.0 Primary target IP address responded with: "${answer}" ${FAILOVER}`;
const proxySession = (answer: string) => `450 4.7.0 Proxy session setup failed on Frontend with '${answer}'`;
const queueExpired = (answer: string) =>
  `550 4.4.7 QUEUE.Expired; message expired [{LED=${answer}};{MSG=};{FQDN=contoso-com.mail.protection.outlook.com};{IP=52.101.1.1};{LRT=11/28/2026 9:15:03 PM}]`;

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

  it.each([
    ['one level: 4.4.0 "responded with"', primaryTarget(ATTR35), ATTR35],
    ['two levels: 4.7.0 proxy session around 4.4.0', proxySession(primaryTarget(ATTR36)), ATTR36],
    ['three levels: a queue error around both', queueExpired(proxySession(primaryTarget(ATTR36))), ATTR36],
    ['a queue error around a 4.4.0', queueExpired(primaryTarget(ATTR35)), ATTR35],
    [
      'a trace detail around a proxy session',
      `Reason: [{LED=${proxySession(primaryTarget(ATTR35))}};{MSG=}]`,
      ATTR35,
    ],
  ])('finds the innermost refusal nested in Exchange wrappers (%s)', (_name, status, inner) => {
    const rejection = relayRejectionIn(status);
    expect(rejection).toEqual({
      smtpCode: inner.slice(0, 3),
      enhancedCode: inner.slice(4, inner.indexOf(' ', 4)),
      attr: inner.includes('ATTR36') ? 'ATTR36' : 'ATTR35',
      remoteHost: HOST,
      // A queue error names the host it tried last: Exchange Online's, by its FQDN.
      ...(status.includes('{IP=') ? { remoteAddress: '52.101.1.1' } : {}),
      text: inner,
    });
  });

  it("takes the address a queue error names only when its host is Exchange Online's", () => {
    const tried = (host: string) =>
      `550 4.4.7 QUEUE.Expired; message expired [{LED=${ATTR35}};{MSG=};{FQDN=${host}};{IP=2a01:111:f403:c901::1};{LRT=11/28/2026 9:15:03 PM}]`;
    expect(relayRejectionIn(tried('contoso-com.mail.protection.outlook.com'))?.remoteAddress).toBe(
      '2a01:111:f403:c901::1',
    );
    expect(relayRejectionIn(tried('contoso-com.o-v1.mx.microsoft'))?.remoteAddress).toBe(
      '2a01:111:f403:c901::1',
    );
    expect(relayRejectionIn(tried('smarthost.contoso.com'))?.remoteAddress).toBeUndefined();
  });

  it('takes the host and ATTR of the nested answer, not of a wrapper', () => {
    const status = `451 4.4.0 [OUTER.frontend.example.com] responded with: "550 5.7.64 TenantAttribution; Relay Access Denied SMTP"`;
    const rejection = relayRejectionIn(status);
    expect(rejection).toMatchObject({ smtpCode: '550', enhancedCode: '5.7.64' });
    expect(rejection?.remoteHost).toBeUndefined();
  });

  it.each([
    primaryTarget('550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'),
    proxySession(primaryTarget('550 5.7.26 This message failed DMARC')),
    queueExpired(proxySession(primaryTarget('421 4.4.2 Connection dropped due to SocketError'))),
    proxySession(primaryTarget('550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain')),
    queueExpired('441 4.4.1 Error encountered while communicating with primary target IP address'),
  ])('never turns a nested ordinary failure into a refusal: %s', (status) => {
    expect(relayRejectionIn(status)).toBeUndefined();
    const rejection = parseRejection(status);
    expect(rejection && isRelayAttribution(rejection)).toBe(false);
  });

  it('reports the innermost error of a nested ordinary failure', () => {
    expect(parseRejection(proxySession(primaryTarget('550 5.1.1 User unknown')))).toMatchObject({
      smtpCode: '550',
      enhancedCode: '5.1.1',
      text: '550 5.1.1 User unknown',
    });
  });

  it('does not read IP addresses, versions or byte counts as status codes', () => {
    expect(parseRejection('sent to 52.101.4.5 and 10.2.4.5 by 15.02.1544.004 (0.241, 119.777 KB/sec)')).toBe(
      undefined,
    );
  });

  // A 1 MB cell: each case took a minute or more with the old `{LED=…}` finder (quadratic). The
  // timeout is generous; the point is that the scan is linear and capped, not a time measurement.
  it('reads 1 MB pathological statuses in linear time, searching only the first STATUS_SCAN_LIMIT characters', {
    timeout: 5_000,
  }, () => {
    const junk = '{LED='.repeat(200_000);
    expect(junk.length).toBe(1_000_000);
    const first = relayRejectionIn(`${ATTR36} ${junk}`);
    expect(first).toMatchObject({ enhancedCode: '5.7.64', attr: 'ATTR36', remoteHost: HOST });
    expect(first?.text.length).toBeLessThanOrEqual(STATUS_SCAN_LIMIT);
    expect(relayRejectionIn(`550 4.4.7 QUEUE.Expired; message expired [${junk}${ATTR36}`)).toBeUndefined();
    expect(relayRejectionIn(`${'"451 4.4.0 x '.repeat(80_000)}${ATTR35}`)).toBeUndefined();
    expect(relayRejectionIn(`${ATTR35} ${'[a.'.repeat(330_000)}`)).toMatchObject({ enhancedCode: '4.4.62' });
    expect(relayRejectionIn(`${ATTR35} ${'5.5.5.'.repeat(170_000)}`)).toMatchObject({
      enhancedCode: '4.4.62',
    });
  });

  // Exchange Online's trailer since 2023: `[host time session-id]` (published: audiobookshelf #4573,
  // Mailu #3013).
  it.each([
    [
      "550 5.7.64 TenantAttribution; Relay Access Denied [ValidationStatus of '' is EmptyCertificate] [SJ1PEPF000023D2.namprd02.prod.outlook.com 2025-08-10T22:42:38.553Z 08DDD733C30748DC]",
      'SJ1PEPF000023D2.namprd02.prod.outlook.com',
    ],
    [
      '451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35. For more information please go to https://go.microsoft.com/fwlink/?linkid=865268 [DM6NAM11FT074.eop-nam11.prod.protection.outlook.com 2023-10-28T12:19:33.163Z 08DBD79CFB305B7E]',
      'DM6NAM11FT074.eop-nam11.prod.protection.outlook.com',
    ],
    [
      '452 4.5.3 Recipients belong to multiple regions ATTR38 [DM6NAM11FT074.eop-nam11.prod.protection.outlook.com 2023-10-28T12:19:33.163Z 08DBD79CFB305B7E] (in reply to RCPT TO command)',
      'DM6NAM11FT074.eop-nam11.prod.protection.outlook.com',
    ],
    [
      queueExpired(
        `550 5.7.64 TenantAttribution; Relay Access Denied ATTR36 [${HOST} 2025-01-02T03:04:05Z 08DD2ABC12345678]`,
      ),
      HOST,
    ],
  ])('takes the host of the trailer [host time session-id]: %s', (status, host) => {
    expect(parseRejection(status)?.remoteHost).toBe(host);
  });

  it.each([
    "550 5.7.64 TenantAttribution; Relay Access Denied [ValidationStatus of '' is EmptyCertificate]",
    '550 5.7.64 TenantAttribution; Relay Access Denied [see contoso.com for details]',
    `550 5.7.64 TenantAttribution; Relay Access Denied [${HOST} 2025-08-10T22:42:38.553Z]`,
    `550 5.7.64 TenantAttribution; Relay Access Denied [${HOST} 2025-08-10 08DDD733C30748DC]`,
    `550 5.7.64 TenantAttribution; Relay Access Denied [${HOST} 2025-08-10T22:42:38.553Z not-a-session]`,
  ])('takes no host from a bracket that is not [host] or its trailer: %s', (status) => {
    expect(parseRejection(status)?.remoteHost).toBeUndefined();
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
