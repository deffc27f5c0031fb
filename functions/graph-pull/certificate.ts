/**
 * The app registration's certificate and private key, as stored in Secrets Manager: one PEM text
 * holding the certificate and its unencrypted PKCS#8 or PKCS#1 key (`cat cert.pem key.pem`).
 */
import { createHash, createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { ErrorCode, RelayAuditError } from '../core/kernel/errors.js';

export interface SigningCertificate {
  /** The key that signs the client assertion. */
  readonly privateKey: KeyObject;
  /** `x5t#S256`: base64url of the SHA-256 of the certificate's DER bytes (RFC 7515 §4.1.8). */
  readonly thumbprintS256: string;
}

const CERTIFICATE_PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
const KEY_PEM = /-----BEGIN (?:RSA )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA )?PRIVATE KEY-----/;

/** Reads the certificate and key out of `pem`; a {@link RelayAuditError} says which part is missing. */
export function readSigningCertificate(pem: string): SigningCertificate {
  const certificateText = CERTIFICATE_PEM.exec(pem)?.[0];
  const keyText = KEY_PEM.exec(pem)?.[0];
  if (certificateText === undefined || keyText === undefined) {
    throw new RelayAuditError(
      ErrorCode.InvalidConfig,
      `the certificate secret must hold a PEM certificate and its unencrypted private key; missing: ${[
        certificateText === undefined ? 'CERTIFICATE' : '',
        keyText === undefined ? 'PRIVATE KEY' : '',
      ]
        .filter(Boolean)
        .join(', ')}`,
    );
  }
  try {
    const certificate = new X509Certificate(certificateText);
    const privateKey = createPrivateKey(keyText);
    // Entra ID accepts RS256 client assertions: the key must be RSA.
    if (privateKey.asymmetricKeyType !== 'rsa') throw new Error('the private key must be an RSA key');
    if (!certificate.checkPrivateKey(privateKey)) {
      throw new Error('the private key does not belong to the certificate');
    }
    return {
      privateKey,
      thumbprintS256: createHash('sha256').update(certificate.raw).digest('base64url'),
    };
  } catch (error) {
    throw new RelayAuditError(
      ErrorCode.InvalidConfig,
      `the certificate secret is not usable: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
