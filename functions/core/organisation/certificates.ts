/**
 * The on-premises server's certificate, read with Node's `crypto.X509Certificate`: its names (CN
 * and SAN DNS names), validity, issuer, and whether the file carries the chain that issued it.
 *
 * A PEM file may hold several blocks: the leaf and its chain, in any order (the leaf is the
 * certificate that issued none of the others). A file with only the leaf means no chain was given
 * — which the `certificate-chain-missing` check reports (KB 3212877). A second server certificate
 * (one that issued none of the others and is not a CA, or names a host) is not chain: such a file
 * is refused, so that no certificate in it goes unchecked. A DER file (`.cer`) holds one
 * certificate. Private-key blocks are ignored, never stored.
 */

import { X509Certificate } from 'node:crypto';
import { sniffEncoding } from '../text/decode.js';
import type { CertificateDescription } from './certificate-description.js';
import { configText } from './config-text.js';
import { ConfigFileError } from './errors.js';
import { isDnsName } from './host-names.js';
import { attributeValues, dnsNamesOf, oneLine } from './x509-names.js';

/** What `--certificate` must contain, for error messages. */
export const CERTIFICATE_EXPECTED =
  'a PEM file with the server certificate (-----BEGIN CERTIFICATE-----), optionally followed by its chain, or one DER certificate';

/** One certificate's facts the checks use. */
export interface CertificateInfo {
  /** Subject on one line, e.g. `CN=mail.contoso.com, O=Contoso`. */
  subject: string;
  /** Issuer on one line. */
  issuer: string;
  /** CN values of the subject. */
  commonNames: string[];
  /** SAN DNS names, lower-case. */
  dnsNames: string[];
  notBefore: Date;
  notAfter: Date;
  /** Issued by itself (subject = issuer and its own key verifies the signature). */
  selfSigned: boolean;
  /** A CA certificate (basicConstraints CA:TRUE). */
  ca: boolean;
  /** SHA-1 thumbprint as Exchange shows it (`Get-ExchangeCertificate -Thumbprint`). */
  thumbprint: string;
  /** The certificate itself, for checks that verify signatures (`certificate-not-public-ca`). */
  x509: X509Certificate;
}

/** One `--certificate` file: the leaf, the other certificates given with it, and how they relate. */
export interface CertificateFile {
  /** The file as the user named it. */
  file: string;
  leaf: CertificateInfo;
  /** The other certificates in the file (intermediates, root), in file order. */
  chain: CertificateInfo[];
  /** True when a certificate in `chain` issued the leaf. */
  issuerGiven: boolean;
}

const PEM_BEGIN = /-----BEGIN ([A-Z0-9 ]{1,64})-----/g;

/**
 * The PEM blocks of `text` (a BEGIN line up to the first END line of the same label), in one pass:
 * a label whose END is missing is searched for once, not again for every BEGIN that repeats it —
 * a backreferencing pattern took seconds on a file of a few thousand unmatched BEGIN lines.
 */
function pemBlocks(text: string): { label: string; pem: string }[] {
  const blocks: { label: string; pem: string }[] = [];
  const noEnd = new Set<string>();
  PEM_BEGIN.lastIndex = 0;
  for (let begin = PEM_BEGIN.exec(text); begin !== null; begin = PEM_BEGIN.exec(text)) {
    const label = begin[1] as string;
    if (noEnd.has(label)) continue;
    const endMarker = `-----END ${label}-----`;
    const end = text.indexOf(endMarker, PEM_BEGIN.lastIndex);
    if (end < 0) {
      noEnd.add(label);
      continue;
    }
    blocks.push({ label, pem: text.slice(begin.index, end + endMarker.length) });
    PEM_BEGIN.lastIndex = end + endMarker.length;
  }
  return blocks;
}

/** The DNS-style names of a certificate (CN first, then SANs), lower-case and without duplicates. */
export function certificateNames(certificate: CertificateInfo): string[] {
  const names = [...certificate.commonNames.map((cn) => cn.trim().toLowerCase()), ...certificate.dnsNames];
  return [...new Set(names.filter(isDnsName))];
}

/** A short label for reports: the first DNS name, else the subject. */
export function certificateLabel(certificate: CertificateInfo): string {
  return certificateNames(certificate)[0] ?? certificate.subject;
}

/** {@link CertificateDescription} of a parsed certificate file. */
export function describeCertificateFile(file: CertificateFile): CertificateDescription {
  return {
    file: file.file,
    subject: file.leaf.subject,
    issuer: file.leaf.issuer,
    names: certificateNames(file.leaf),
    notBefore: file.leaf.notBefore.toISOString(),
    notAfter: file.leaf.notAfter.toISOString(),
    chain: file.chain.map((certificate) => certificate.subject),
  };
}

/** A label that also says which file: `mail.contoso.com (config/mail.pem)`. */
export function certificateFileLabel(file: CertificateFile): string {
  return `${certificateLabel(file.leaf)} (${file.file})`;
}

function describe(x509: X509Certificate): CertificateInfo {
  // Not `checkIssued(self)`: OpenSSL also demands keyCertSign there, which a self-signed server
  // certificate usually lacks.
  const selfSigned = x509.subject === x509.issuer && safeVerify(x509, x509);
  return {
    subject: oneLine(x509.subject),
    issuer: oneLine(x509.issuer),
    commonNames: attributeValues(x509.subject, 'CN'),
    dnsNames: dnsNamesOf(x509.subjectAltName),
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    selfSigned,
    ca: x509.ca,
    thumbprint: x509.fingerprint.replace(/:/g, ''),
    x509,
  };
}

/** `child` is signed by `parent`'s key (false rather than throwing on unsupported keys). */
function safeVerify(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    return child.verify(parent.publicKey);
  } catch {
    return false;
  }
}

/** `parent` issued `child`: names and key identifiers fit, and `parent`'s key verifies the signature. */
export function issued(parent: X509Certificate, child: X509Certificate): boolean {
  return child !== parent && child.checkIssued(parent) && safeVerify(child, parent);
}

/**
 * The text of a certificate file. UTF-16 (a BOM, or NULs between ASCII: Windows PowerShell 5.1 `>`
 * and Out-File write it) is decoded as every input is; anything else is read byte for byte, since
 * PEM is ASCII and a DER or binary file must still be told for what it is, not fail to decode.
 */
export function certificateText(bytes: Uint8Array, file: string): string {
  if (sniffEncoding(bytes.subarray(0, 512)).encoding === 'utf-8')
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  return configText(bytes, file, CERTIFICATE_EXPECTED);
}

/**
 * PEM labels of an X.509 certificate. `TRUSTED CERTIFICATE` (`openssl x509 -trustout`) is the
 * certificate followed by OpenSSL's trust settings, and `X509 CERTIFICATE` an old name of
 * `CERTIFICATE`; `X509Certificate` reads all three (Node parses PEM with OpenSSL's
 * `PEM_read_bio_X509_AUX`), and the trust settings are not needed.
 */
const CERTIFICATE_LABELS = new Set(['CERTIFICATE', 'TRUSTED CERTIFICATE', 'X509 CERTIFICATE']);

/** `-inform DER` for a binary `.p7b` (what Windows' certificate export writes); PEM is openssl's default. */
const pkcs7Hint = (inform: '' | ' -inform DER') =>
  `convert a .p7b with: openssl pkcs7${inform} -print_certs -in file.p7b -out file.pem`;
const PKCS12_HINT =
  'convert a .pfx or .p12 with: openssl pkcs12 -in file.pfx -nokeys -out file.pem, adding -legacy if ' +
  'OpenSSL 3 says the algorithm is unsupported';

/** The tag and contents of the DER element at `offset`, or `undefined` when it does not fit in `der`. */
function derElement(
  der: Uint8Array,
  offset: number,
): { tag: number; start: number; end: number } | undefined {
  const tag = der[offset];
  const first = der[offset + 1];
  if (tag === undefined || first === undefined) return undefined;
  let start = offset + 2;
  let length = first;
  if (first & 0x80) {
    const octets = first & 0x7f;
    if (octets === 0 || octets > 4) return undefined;
    length = 0;
    for (let index = 0; index < octets; index++) length = length * 256 + (der[start + index] ?? Number.NaN);
    start += octets;
  }
  const end = start + length;
  return Number.isNaN(end) || end > der.length ? undefined : { tag, start, end };
}

const DER_SEQUENCE = 0x30;
const DER_INTEGER = 0x02;
const DER_OID = 0x06;
/** `1.2.840.113549.1.7.2`, PKCS #7 signedData: what a `.p7b` holds its certificates in. */
const SIGNED_DATA_OID = Buffer.from('2a864886f70d010702', 'hex');

/**
 * What a DER file that is no certificate holds, by its first element: a PKCS #12 (`.pfx`/`.p12`) is
 * a SEQUENCE that starts with the version INTEGER 3 (RFC 7292), a PKCS #7 `.p7b` a SEQUENCE that
 * starts with the signedData OID (RFC 2315). The problem to report, with how to convert it.
 */
function derProblem(der: Uint8Array): string {
  const outer = derElement(der, 0);
  const first = outer?.tag === DER_SEQUENCE ? derElement(der, outer.start) : undefined;
  const content = first === undefined ? undefined : der.subarray(first.start, first.end);
  if (first?.tag === DER_INTEGER && content?.length === 1 && content[0] === 3)
    return `it is a PKCS #12 file (.pfx, .p12), not a certificate (${PKCS12_HINT})`;
  if (first?.tag === DER_OID && content !== undefined && Buffer.from(content).equals(SIGNED_DATA_OID))
    return `it is a PKCS #7 file (.p7b), not a certificate (${pkcs7Hint(' -inform DER')})`;
  return 'it is neither PEM nor a DER certificate';
}

/**
 * The certificates of the input, as `X509Certificate` accepted them: its PEM certificate blocks
 * ({@link CERTIFICATE_LABELS}), or one DER certificate. Throws `ConfigFileError` when there is none
 * or one is not a certificate.
 */
export function readCertificates(input: string | Uint8Array, file: string): X509Certificate[] {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input);
  const blocks = pemBlocks(certificateText(bytes, file));
  if (blocks.length === 0) {
    if (bytes.length > 0 && bytes[0] === DER_SEQUENCE) {
      try {
        return [new X509Certificate(bytes)];
      } catch (error) {
        throw new ConfigFileError(file, derProblem(bytes), CERTIFICATE_EXPECTED, { cause: error });
      }
    }
    const problem = bytes.length === 0 ? 'the file is empty' : 'it contains no PEM block';
    throw new ConfigFileError(file, problem, CERTIFICATE_EXPECTED);
  }
  const certificates = blocks.filter((block) => CERTIFICATE_LABELS.has(block.label));
  if (certificates.length === 0) {
    const kinds = [...new Set(blocks.map((block) => block.label))].join(', ');
    const hint = kinds.includes('PKCS7') ? ` (${pkcs7Hint('')})` : '';
    throw new ConfigFileError(file, `it holds no certificate, only ${kinds}${hint}`, CERTIFICATE_EXPECTED);
  }
  return certificates.map((block, index) => {
    try {
      return new X509Certificate(block.pem);
    } catch (error) {
      throw new ConfigFileError(
        file,
        `certificate block ${index + 1} is not a valid X.509 certificate`,
        CERTIFICATE_EXPECTED,
        { cause: error },
      );
    }
  });
}

/**
 * Parses one `--certificate` file (text or bytes). The leaf is the server certificate: the issuer of
 * none of the others, and not a CA or one with DNS names (else, for a file of CA certificates only,
 * the first that issued none); everything else is its chain. A file with more than one server
 * certificate is refused.
 */
export function parseCertificateFile(input: string | Uint8Array, file: string): CertificateFile {
  // The same certificate twice is one (`cat cert.pem fullchain.pem` with certbot's files, whose
  // fullchain starts with the server certificate): not a second server, nor chain.
  const certificates = [
    ...new Map(
      readCertificates(input, file).map((certificate) => [certificate.fingerprint256, certificate]),
    ).values(),
  ];
  const issuesNone = (candidate: X509Certificate) => !certificates.some((other) => issued(candidate, other));
  // A CA certificate with DNS names is a server's too: `openssl req -x509` marks its self-signed
  // certificates CA:TRUE.
  const servers = certificates.filter(
    (candidate) =>
      issuesNone(candidate) && (!candidate.ca || dnsNamesOf(candidate.subjectAltName).length > 0),
  );
  if (servers.length > 1) {
    const names = servers.map((server) => certificateLabel(describe(server))).join(', ');
    throw new ConfigFileError(
      file,
      `it holds ${servers.length} server certificates (${names}), but a certificate file is one server ` +
        'certificate and its chain: give each server certificate in a file of its own (each with its own ' +
        '--certificate, or uploaded as its own config/<server name>.pem)',
      CERTIFICATE_EXPECTED,
    );
  }
  const leaf = servers[0] ?? certificates.find(issuesNone) ?? (certificates[0] as X509Certificate);
  const chain = certificates.filter((certificate) => certificate !== leaf);
  return {
    file,
    leaf: describe(leaf),
    chain: chain.map(describe),
    issuerGiven: chain.some((certificate) => issued(certificate, leaf)),
  };
}
