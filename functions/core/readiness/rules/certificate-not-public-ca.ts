/**
 * `certificate-not-public-ca`: the server certificate does not lead to a public root CA. Exchange
 * Online trusts only certificates a public CA issued (KB 3212877), so one from a private CA — most
 * often the organisation's own Active Directory Certificate Services CA, which completes
 * `New-ExchangeCertificate` requests — never matches a certificate-based connector.
 *
 * The public roots are the ones Node ships (`tls.rootCertificates`, Mozilla's list). The chain is
 * followed from the leaf through the file's other certificates: it leads to a public root when a
 * certificate on it is a public root or was issued by one. Otherwise the top of the chain tells:
 * a root CA that is not public is an error; a CA certificate that is neither in the file nor public
 * cannot be judged, unless its name carries the `DC=` components AD CS writes (an internal CA). A
 * self-signed leaf is left to `certificate-self-signed`: not checked here (no CA issued it), never passed.
 */
import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import {
  type CertificateFile,
  type CertificateInfo,
  certificateFileLabel,
  issued,
} from '../../organisation/certificates.js';
import { attributeValues, oneLine } from '../../organisation/x509-names.js';
import type { Occurrence, ReadinessRule } from './rule.js';

/** What one `certificate-not-public-ca` occurrence names, for the text pack. */
export type CertificateNotPublicCaDetails = {
  certificate: CertificateFile;
  /**
   * `private-root`: the chain ends in a root CA given in the file that is not public; `internal-ca`:
   * a CA named with `DC=` components (AD CS) issued it; `unknown-issuer`: the CA that issued the top
   * of the chain is neither given nor public, so it cannot be told (not checked); `self-signed`: no CA
   * issued it, which `certificate-self-signed` reports (not checked).
   */
  reason: 'private-root' | 'internal-ca' | 'unknown-issuer' | 'self-signed';
  /** The CA the reason is about, on one line. */
  ca: string;
  /** That CA's name carries `DC=` components, as an Active Directory CA's does. */
  activeDirectory: boolean;
};

/** A public root: its subject and key, which a cross-signed copy of it shares. */
interface PublicRoot {
  x509: X509Certificate;
  subject: string;
  key: string;
}

let parsedRoots: readonly PublicRoot[] | undefined;

/** Node's bundled public roots, parsed on first use (one that fails to parse is left out). */
function publicRoots(): readonly PublicRoot[] {
  parsedRoots ??= rootCertificates.flatMap((pem) => {
    try {
      const x509 = new X509Certificate(pem);
      return [{ x509, subject: x509.subject, key: spki(x509) }];
    } catch {
      return [];
    }
  });
  return parsedRoots;
}

function spki(x509: X509Certificate): string {
  return x509.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
}

/** `x509` is a public root (or a copy of one, cross-signed) or was issued by one. */
function vouchedForByPublicRoot(x509: X509Certificate): boolean {
  return publicRoots().some(
    (root) => (root.subject === x509.subject && root.key === spki(x509)) || issued(root.x509, x509),
  );
}

/** The leaf and the certificates of the file above it, each the issuer of the one before. */
function pathUp(file: CertificateFile): CertificateInfo[] {
  const path = [file.leaf];
  for (;;) {
    const current = path[path.length - 1] as CertificateInfo;
    const parent = file.chain.find(
      (candidate) => !path.includes(candidate) && issued(candidate.x509, current.x509),
    );
    if (parent === undefined) return path;
    path.push(parent);
  }
}

/** The `DC=` components of a distinguished name as Node prints it: AD CS names its CAs with them. */
function activeDirectoryName(distinguishedName: string): boolean {
  return attributeValues(distinguishedName, 'DC').length > 0;
}

function occurrence(
  certificate: CertificateFile,
  reason: CertificateNotPublicCaDetails['reason'],
  ca: string,
): Occurrence<CertificateNotPublicCaDetails> {
  // A self-signed certificate is its own issuer: naming it twice says nothing more.
  return {
    objects: [certificateFileLabel(certificate), ...(reason === 'self-signed' ? [] : [oneLine(ca)])],
    details: { certificate, reason, ca: oneLine(ca), activeDirectory: activeDirectoryName(ca) },
    ...(reason === 'unknown-issuer' || reason === 'self-signed' ? { notChecked: true as const } : {}),
  };
}

function judge(certificate: CertificateFile): Occurrence<CertificateNotPublicCaDetails>[] {
  if (certificate.leaf.selfSigned)
    return [occurrence(certificate, 'self-signed', certificate.leaf.x509.subject)];
  const path = pathUp(certificate);
  if (path.some((entry) => vouchedForByPublicRoot(entry.x509))) return [];
  const top = path[path.length - 1] as CertificateInfo;
  if (top.selfSigned) return [occurrence(certificate, 'private-root', top.x509.subject)];
  const internal = path.find((entry) => activeDirectoryName(entry.x509.issuer));
  if (internal !== undefined) return [occurrence(certificate, 'internal-ca', internal.x509.issuer)];
  return [occurrence(certificate, 'unknown-issuer', top.x509.issuer)];
}

export const certificateNotPublicCa: ReadinessRule<
  'certificate-not-public-ca',
  CertificateNotPublicCaDetails
> = {
  id: 'certificate-not-public-ca',
  severity: 'error',
  needs: ['certificates'],
  evaluate: (input) => input.certificates.flatMap(judge),
};
