/**
 * The sample organisation configuration (`sample-logs/config/`) as the ingest function stores it:
 * the files under their bucket keys, built with the same `buildOrganisationConfig`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  buildOrganisationConfig,
  type OrganisationConfig,
  type RawConfigFile,
} from '../../functions/core/organisation/configuration.js';

export const SAMPLE_CONFIG_DIR = join(import.meta.dirname, '..', '..', 'sample-logs', 'config');
/** The sample files, by the key they are uploaded under. */
export const SAMPLE_CONFIG_FILES = {
  'config/accepted-domains.csv': 'accepted-domains.csv',
  'config/inbound-connectors.json': 'inbound-connectors.json',
  'config/mail.contoso.com.pem': 'mail.contoso.com.pem',
} as const;
/** The sample's IP-only OnPremises connector (scanners and apps): findings leave it as it is. */
export const SAMPLE_RELAY_CONNECTOR = 'Relay from on-premises apps';
/**
 * The HCW connector, whose certificate name `mail.contoso.com` is not an accepted domain: the
 * connector NDR and foreign-sender-domain findings name (change it to `*.contoso.com`).
 */
export const SAMPLE_HCW_CONNECTOR = 'Inbound from 7c1e4b2a-93d5-4f60-8a2e-b14d6c0f3e97';

/** The bytes of each sample file by bucket key. */
export async function sampleConfigFiles(): Promise<RawConfigFile[]> {
  return Promise.all(
    Object.entries(SAMPLE_CONFIG_FILES).map(async ([name, file]) => ({
      name,
      bytes: await readFile(join(SAMPLE_CONFIG_DIR, file)),
    })),
  );
}

/** The sample configuration as loaded at `loadedAt`, plus any `extra` files. */
export async function sampleConfig(
  loadedAt: Date,
  extra: RawConfigFile[] = [],
  origin = 's3://relay-audit-test/config/',
): Promise<OrganisationConfig> {
  return buildOrganisationConfig({ origin, loadedAt, files: [...(await sampleConfigFiles()), ...extra] });
}
