/**
 * Of a certificate file only the certificates are stored: a private key goes nowhere, in whatever
 * form it comes (mismatched BEGIN/END labels, no END line, lower-case markers), and is reported.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildOrganisationConfig, fileBytes } from '../../functions/core/organisation/configuration.js';

const CERTIFICATE = readFileSync('sample-logs/config/mail.contoso.com.pem', 'latin1');
const KEY = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
  type: 'pkcs1',
  format: 'pem',
}) as string;
/** A line from the middle of the key's base64: must appear nowhere in what is stored. */
const KEY_LINE = KEY.split('\n')[5] ?? '';

function stored(content: string) {
  const config = buildOrganisationConfig({
    origin: 'test',
    loadedAt: new Date('2026-12-01T00:00:00Z'),
    files: [{ name: 'mail.pem', bytes: Buffer.from(content, 'latin1'), kind: 'certificate' }],
  });
  const file = config.files[0];
  if (!file) throw new Error('no file');
  return { file, text: Buffer.from(fileBytes(file)).toString('latin1') };
}

describe('a certificate file with a private key', () => {
  const body = KEY.replace(/-----[^\n]*-----\n?/g, '');
  it.each([
    ['in its exact form', KEY],
    [
      'with mismatched BEGIN/END labels',
      `-----BEGIN RSA PRIVATE KEY-----\n${body}-----END PRIVATE KEY-----\n`,
    ],
    ['without an END line', `-----BEGIN RSA PRIVATE KEY-----\n${body}`],
    ['with lower-case markers', `-----begin rsa private key-----\n${body}-----end rsa private key-----\n`],
  ])('stores only the certificate when the key is %s', (_form, key) => {
    for (const content of [`${CERTIFICATE}${key}`, `${key}${CERTIFICATE}`]) {
      const { file, text } = stored(content);
      expect(KEY_LINE.length).toBeGreaterThan(40);
      expect(text).not.toContain(KEY_LINE);
      expect(text.replace(/\r\n/g, '\n')).toBe(CERTIFICATE.replace(/\r\n/g, '\n'));
      expect(file.privateKeysRemoved).toBe(1);
    }
  });

  it('stores no content, only the problem, for a file that holds a key and no certificate', () => {
    const { file, text } = stored(`-----BEGIN RSA PRIVATE KEY-----\n${body}`);
    expect(text).toBe('');
    expect(file.content).toBeUndefined();
    expect(file.problem).toMatch(/^it contains no PEM block; expected a PEM file/);
    expect(file.privateKeysRemoved).toBe(1);
  });

  it('stores a certificate file without a key as its certificates, and says nothing of keys', () => {
    const { file, text } = stored(CERTIFICATE);
    expect(text.replace(/\r\n/g, '\n')).toBe(CERTIFICATE.replace(/\r\n/g, '\n'));
    expect(file.privateKeysRemoved).toBeUndefined();
  });
});
