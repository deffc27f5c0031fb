/**
 * `relay-audit check` with a connector that pins its issuer (`<I>issuer<S>subject`) and an issuer
 * with organizationIdentifier and a comma in O — an eIDAS CA's shape. Windows writes that
 * attribute `OID.2.5.4.97=` and quotes the comma (`O="Trustlink, BV"`); Node writes
 * `organizationIdentifier=` and `O=Trustlink\, BV`. The same CA must not be called another, and the
 * `<I>` value check proposes must be the Windows form, without Node's backslash.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/capture-output.js';
import { opensslAvailable } from '../support/certificates.js';

const run = promisify(execFile);
const CA_SUBJECT = '/C=BE/organizationIdentifier=NTRBE-0537698318/O=Trustlink, BV/CN=Trustlink TLS CA 2026';
const WINDOWS_ISSUER = 'CN=Trustlink TLS CA 2026, O="Trustlink, BV", OID.2.5.4.97=NTRBE-0537698318, C=BE';
const NAME = 'Inbound from 7c1e4b2a-93d5-4f60-8a2e-b14d6c0f3e97';

let dir: string;
let chain: string;

beforeAll(async () => {
  if (!opensslAvailable()) return;
  dir = await mkdtemp(join(tmpdir(), 'issuer-spellings-'));
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await openssl(
    'req',
    '-x509',
    ...key,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '3650',
    '-subj',
    CA_SUBJECT,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  await openssl(
    'req',
    '-new',
    ...key,
    '-keyout',
    'leaf.key',
    '-out',
    'leaf.csr',
    '-subj',
    '/CN=mail.contoso.com',
  );
  await writeFile(
    join(dir, 'leaf.ext'),
    'subjectAltName=DNS:mail.contoso.com\nextendedKeyUsage=serverAuth\n',
  );
  await openssl(
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '365',
    '-extfile',
    'leaf.ext',
    '-out',
    'leaf.pem',
  );
  chain = join(dir, 'chain.pem');
  await writeFile(
    chain,
    (await readFile(join(dir, 'leaf.pem'), 'utf8')) + (await readFile(join(dir, 'ca.pem'), 'utf8')),
  );
});

afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** `check`'s text for a connector whose TlsSenderCertificateName is `pin`. */
async function check(pin: string): Promise<string> {
  const connectors = join(dir, `connectors-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(
    connectors,
    JSON.stringify([
      {
        Name: NAME,
        ConnectorType: 'OnPremises',
        Enabled: true,
        RequireTls: true,
        TlsSenderCertificateName: pin,
      },
    ]),
  );
  const { out } = await cli(
    'check',
    '--accepted-domains',
    'contoso.com',
    '--connectors',
    connectors,
    '--certificate',
    chain,
  );
  return out.stdout;
}

describe.skipIf(!opensslAvailable())('an issuer pin with organizationIdentifier and a quoted comma', () => {
  it("is the certificate's issuer when Windows spells it OID.2.5.4.97", async () => {
    const text = await check(`<I>${WINDOWS_ISSUER}<S>CN=mail.contoso.com`);
    expect(text).not.toContain('certificate-name-mismatch\n');
    expect(text).toMatch(/\nPassed: .*certificate-name-mismatch/);
  });

  it('is not, when another CA is pinned; the <I> value proposed is the Windows form, without backslashes', async () => {
    const text = await check(
      '<I>CN=Starfield Secure Certificate Authority - G2, O="Starfield Technologies, Inc.", C=US<S>CN=mail.contoso.com',
    );
    expect(text).toContain('ERROR   certificate-name-mismatch\n');
    expect(text).toContain(`was issued by ${WINDOWS_ISSUER}, but`);
    expect(text).toContain(
      `Set-InboundConnector -Identity '${NAME}' -TlsSenderCertificateName '<I>${WINDOWS_ISSUER}<S>CN=mail.contoso.com'`,
    );
    const block =
      text.split('\n\n').find((part) => part.startsWith('ERROR   certificate-name-mismatch')) ?? '';
    expect(block).not.toContain('\\,');
  });
});
