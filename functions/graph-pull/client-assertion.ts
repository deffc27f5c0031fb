/**
 * The signed JWT a confidential client presents instead of a secret (RFC 7523 §2.2, as the
 * Microsoft identity platform documents "certificate credentials"): RS256 over
 * `{aud: token endpoint, iss = sub = client id, jti, nbf, exp}` with the certificate's SHA-256
 * thumbprint in the `x5t#S256` header, so Entra ID knows which uploaded certificate to check.
 */
import { randomUUID, sign } from 'node:crypto';
import type { SigningCertificate } from './certificate.js';

/** An assertion is used at once; ten minutes covers clock skew without making it long-lived. */
const ASSERTION_LIFETIME_SECONDS = 600;

const base64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A fresh client assertion for `clientId` at `tokenEndpoint`, signed at `now`. */
export function clientAssertion(
  certificate: SigningCertificate,
  clientId: string,
  tokenEndpoint: string,
  now: Date,
): string {
  const issuedAt = Math.floor(now.getTime() / 1000);
  const header = base64url({ alg: 'RS256', typ: 'JWT', 'x5t#S256': certificate.thumbprintS256 });
  const payload = base64url({
    aud: tokenEndpoint,
    iss: clientId,
    sub: clientId,
    jti: randomUUID(),
    nbf: issuedAt,
    iat: issuedAt,
    exp: issuedAt + ASSERTION_LIFETIME_SECONDS,
  });
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), certificate.privateKey);
  return `${header}.${payload}.${signature.toString('base64url')}`;
}
