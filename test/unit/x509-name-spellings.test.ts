/**
 * Distinguished names as Node prints them (public roots Node ships, so the spelling is Node's own)
 * against the forms Windows and Exchange print (`Get-ExchangeCertificate`'s Issuer, a connector's
 * `<I>issuer<S>subject`): Windows writes an attribute it has no name for as `OID.<dotted>`
 * (organizationIdentifier, the EV attributes), Node writes the short name and escapes a comma with a
 * backslash, Windows quotes the value instead.
 */
import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { describe, expect, it } from 'vitest';
import {
  attributeValues,
  sameDistinguishedName,
  windowsDistinguishedName,
} from '../../functions/core/organisation/x509-names.js';

/** The subject of the public root whose subject ends in `CN=<commonName>`, as Node prints it. */
function rootSubject(commonName: string): string {
  for (const pem of rootCertificates) {
    const subject = new X509Certificate(pem).subject;
    if (subject.endsWith(`\nCN=${commonName}`)) return subject;
  }
  throw new Error(`no root ${commonName} in Node's store`);
}

const E_SZIGNO = rootSubject('e-Szigno Root CA 2017');
const GO_DADDY = rootSubject('Go Daddy Root Certificate Authority - G2');

describe('organizationIdentifier and the other attributes Windows writes as OID.<dotted>', () => {
  it("compares Windows' OID.2.5.4.97 with Node's organizationIdentifier and the bare 2.5.4.97", () => {
    expect(E_SZIGNO).toContain('organizationIdentifier=VATHU-23584497');
    const windows =
      'CN=e-Szigno Root CA 2017, OID.2.5.4.97=VATHU-23584497, O=Microsec Ltd., L=Budapest, C=HU';
    expect(sameDistinguishedName(windows, E_SZIGNO)).toBe(true);
    expect(sameDistinguishedName(windows, E_SZIGNO.replace('organizationIdentifier=', '2.5.4.97='))).toBe(
      true,
    );
    expect(sameDistinguishedName(windows.replace('OID.2.5.4.97', 'organizationIdentifier'), E_SZIGNO)).toBe(
      true,
    );
    // Still a different issuer when the value differs.
    expect(sameDistinguishedName(windows.replace('VATHU-23584497', 'VATHU-11111111'), E_SZIGNO)).toBe(false);
  });

  it('compares the EV attributes (jurisdiction, businessCategory, serialNumber) in either spelling', () => {
    const node = [
      'jurisdictionC=US',
      'jurisdictionST=Utah',
      'jurisdictionL=Lehi',
      'businessCategory=Private Organization',
      'serialNumber=5299537-0142',
      'C=US',
      'O=DigiCert\\, Inc.',
      'CN=www.digicert.com',
    ].join('\n');
    const windows =
      'CN=www.digicert.com, O="DigiCert, Inc.", C=US, SERIALNUMBER=5299537-0142, OID.2.5.4.15=Private Organization, ' +
      'OID.1.3.6.1.4.1.311.60.2.1.1=Lehi, OID.1.3.6.1.4.1.311.60.2.1.2=Utah, OID.1.3.6.1.4.1.311.60.2.1.3=US';
    expect(sameDistinguishedName(windows, node)).toBe(true);
    expect(sameDistinguishedName(windows, node.replace('jurisdictionC=US', 'jurisdictionC=CA'))).toBe(false);
    // An OID.x form is its bare x form, whether or not relay-audit knows a name for it.
    expect(sameDistinguishedName('CN=a, OID.1.2.3.4=x', '1.2.3.4=x\nCN=a')).toBe(true);
  });

  it('writes organizationIdentifier the way Windows does, which compares equal to what Node printed', () => {
    const windows = windowsDistinguishedName(E_SZIGNO);
    expect(windows).toBe(
      'CN=e-Szigno Root CA 2017, OID.2.5.4.97=VATHU-23584497, O=Microsec Ltd., L=Budapest, C=HU',
    );
    expect(sameDistinguishedName(windows, E_SZIGNO)).toBe(true);
  });
});

describe("Node's backslash before a comma", () => {
  it('is not part of the value', () => {
    expect(GO_DADDY).toContain('O=GoDaddy.com\\, Inc.');
    expect(attributeValues(GO_DADDY, 'O')).toEqual(['GoDaddy.com, Inc.']);
  });

  it('becomes the quotes Windows puts around a value with a comma', () => {
    expect(windowsDistinguishedName(GO_DADDY)).toBe(
      'CN=Go Daddy Root Certificate Authority - G2, O="GoDaddy.com, Inc.", L=Scottsdale, S=Arizona, C=US',
    );
  });
});
