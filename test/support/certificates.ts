/**
 * Certificates generated in the test with `openssl` (a test CA, leaves it signs, self-signed
 * certificates), in a temporary directory, with explicit validity dates via `openssl ca
 * -startdate/-enddate` so tests can judge them at a fixed `--at` whatever today's date is.
 * Private keys never leave the temporary directory.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** True when an `openssl` binary can be run (the tests that need it are skipped otherwise). */
export function opensslAvailable(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** What a generated certificate should say. Dates are `YYYY-MM-DD` (midnight UTC). */
export interface CertificateSpec {
  commonName?: string;
  dnsNames?: readonly string[];
  notBefore?: string;
  notAfter?: string;
}

/** Default validity of generated leaves: judge them at 2026-07-01 to be comfortably valid. */
export const DEFAULT_NOT_BEFORE = '2026-01-01';
export const DEFAULT_NOT_AFTER = '2027-01-01';

/** `2026-01-01` → `20260101000000Z` (GeneralizedTime, as `openssl ca -startdate` takes it). */
function asn1Time(date: string): string {
  return `${date.replace(/-/g, '')}000000Z`;
}

const CONFIG = (dir: string) => `[ca]
default_ca = test_ca
[test_ca]
dir = ${dir}
database = $dir/index.txt
new_certs_dir = $dir/issued
serial = $dir/serial
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
[policy_any]
organizationName = optional
commonName = optional
[req]
distinguished_name = dn
[dn]
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
`;

function leafExtensions(dnsNames: readonly string[]): string {
  return [
    '[leaf]',
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature, keyEncipherment',
    'extendedKeyUsage = serverAuth, clientAuth',
    'subjectKeyIdentifier = hash',
    ...(dnsNames.length > 0 ? [`subjectAltName = ${dnsNames.map((name) => `DNS:${name}`).join(', ')}`] : []),
    '',
  ].join('\n');
}

/** A throw-away PKI: one CA (valid 2020–2040) and the certificates it issues. */
export class TestPki {
  private queue: Promise<unknown> = Promise.resolve();
  private counter = 0;
  /** The CA certificate (PEM). */
  public caPem = '';

  private constructor(public readonly dir: string) {}

  /** Creates the directory, the CA key and the CA certificate. */
  public static async create(caName = 'Contoso Test Issuing CA'): Promise<TestPki> {
    const dir = await mkdtemp(join(tmpdir(), 'relay-audit-pki-'));
    const pki = new TestPki(dir);
    await mkdir(join(dir, 'issued'));
    await writeFile(join(dir, 'index.txt'), '');
    await writeFile(join(dir, 'serial'), '1000\n');
    await writeFile(join(dir, 'ca.cnf'), CONFIG(dir));
    await pki.openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'], {
      keyout: 'ca.key',
      out: 'ca.csr',
      subj: `/O=Contoso Test/CN=${caName}`,
    });
    await pki.openssl(['ca', '-batch', '-selfsign', '-notext', '-extensions', 'v3_ca'], {
      keyfile: 'ca.key',
      in: 'ca.csr',
      out: 'ca.pem',
      startdate: asn1Time('2020-01-01'),
      enddate: asn1Time('2040-01-01'),
    });
    pki.caPem = await pki.read('ca.pem');
    await pki.openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], {
      out: 'leaf.key',
    });
    return pki;
  }

  /** A leaf signed by the CA. */
  public issue(spec: CertificateSpec): Promise<string> {
    return this.sign(spec, false);
  }

  /** A self-signed leaf (no CA involved). */
  public selfSigned(spec: CertificateSpec): Promise<string> {
    return this.sign(spec, true);
  }

  /** Writes `content` to `name` in the temporary directory and returns its path. */
  public async write(name: string, content: string | Uint8Array): Promise<string> {
    const path = join(this.dir, name);
    await writeFile(path, content);
    return path;
  }

  public async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  /** `openssl ca` rewrites its database: one certificate at a time. */
  private sign(spec: CertificateSpec, selfSigned: boolean): Promise<string> {
    const next = this.queue.then(async () => {
      const id = ++this.counter;
      const subject = [
        '/O=Contoso Test',
        ...(spec.commonName === undefined ? [] : [`/CN=${spec.commonName}`]),
      ].join('');
      await writeFile(join(this.dir, `leaf-${id}.ext`), leafExtensions(spec.dnsNames ?? []));
      await this.openssl(['req', '-new'], { key: 'leaf.key', out: `leaf-${id}.csr`, subj: subject });
      await this.openssl(
        ['ca', '-batch', '-notext', '-extensions', 'leaf', ...(selfSigned ? ['-selfsign'] : [])],
        {
          ...(selfSigned ? { keyfile: 'leaf.key' } : { cert: 'ca.pem', keyfile: 'ca.key' }),
          in: `leaf-${id}.csr`,
          out: `leaf-${id}.pem`,
          extfile: `leaf-${id}.ext`,
          startdate: asn1Time(spec.notBefore ?? DEFAULT_NOT_BEFORE),
          enddate: asn1Time(spec.notAfter ?? DEFAULT_NOT_AFTER),
        },
      );
      return this.read(`leaf-${id}.pem`);
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private read(name: string): Promise<string> {
    return readFile(join(this.dir, name), 'utf8');
  }

  /** Runs openssl in the directory; file options are relative to it. */
  private async openssl(args: string[], options: Record<string, string>): Promise<void> {
    const files = new Set(['keyout', 'out', 'keyfile', 'in', 'key', 'cert', 'extfile']);
    const flags = Object.entries(options).flatMap(([key, value]) => [
      `-${key}`,
      files.has(key) ? join(this.dir, value) : value,
    ]);
    const needsConfig = args[0] === 'ca' || args[0] === 'req';
    await run('openssl', [...args, ...(needsConfig ? ['-config', join(this.dir, 'ca.cnf')] : []), ...flags], {
      cwd: this.dir,
    });
  }
}
