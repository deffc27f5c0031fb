/**
 * Reading the organisation's whole current configuration from the bucket: every object directly
 * under `config/` is listed, the recognised ones (accepted domains, connectors export, certificate
 * files) are read, and the rest are listed as ignored. The whole set is read on every change, so
 * the stored configuration is always one consistent snapshot, whichever file changed.
 *
 * Throttling, network and permission errors are thrown (the message is retried); a file that is
 * too large is not an error here but a `problem` the readiness report shows.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  buildOrganisationConfig,
  configFileKind,
  MAX_CONFIG_FILE_BYTES,
  type OrganisationConfig,
  type RawConfigFile,
} from '../core/organisation/configuration.js';
import { BUCKET_PREFIX } from '../runtime/bucket-layout.js';

/** Most objects listed under `config/`: configuration is a handful of files, not a data set. */
const MAX_LISTED = 200;

export interface ConfigLoaderOptions {
  s3: S3Client;
  bucket: string;
  /** The `ACCEPTED_DOMAINS` list, used when there is no `config/accepted-domains.csv`. */
  fallbackAcceptedDomains?: string;
  now?: () => Date;
}

interface Listed {
  key: string;
  size: number;
}

async function listConfig(s3: S3Client, bucket: string): Promise<Listed[]> {
  const objects: Listed[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: BUCKET_PREFIX.config,
        ...(token === undefined ? {} : { ContinuationToken: token }),
      }),
    );
    for (const object of page.Contents ?? []) {
      if (object.Key !== undefined) objects.push({ key: object.Key, size: object.Size ?? 0 });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined && objects.length < MAX_LISTED);
  return objects;
}

async function readObject(s3: S3Client, bucket: string, key: string): Promise<Uint8Array | undefined> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await response.Body?.transformToByteArray()) ?? new Uint8Array();
  } catch (error) {
    // Deleted between the listing and the read: a notification of its own follows.
    if (error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound')) return undefined;
    throw error;
  }
}

/** Loads the configuration snapshot of `config/` now. */
export async function loadOrganisationConfig(options: ConfigLoaderOptions): Promise<OrganisationConfig> {
  const loadedAt = (options.now ?? (() => new Date()))();
  const listed = await listConfig(options.s3, options.bucket);
  const files: RawConfigFile[] = [];
  const ignored: string[] = [];
  for (const { key, size } of listed) {
    const relative = key.slice(BUCKET_PREFIX.config.length);
    // Folder placeholders and anything in a subfolder are not configuration.
    if (relative === '' || relative.endsWith('/')) continue;
    if (relative.includes('/') || configFileKind(key) === undefined) {
      ignored.push(key);
      continue;
    }
    if (size > MAX_CONFIG_FILE_BYTES) {
      files.push({
        name: key,
        size,
        problem: `the file is ${size} bytes, larger than the ${MAX_CONFIG_FILE_BYTES} bytes a configuration file may have`,
      });
      continue;
    }
    const bytes = await readObject(options.s3, options.bucket, key);
    if (bytes !== undefined) files.push({ name: key, bytes });
  }
  return buildOrganisationConfig({
    origin: `s3://${options.bucket}/${BUCKET_PREFIX.config}`,
    loadedAt,
    files,
    ignored,
    ...(options.fallbackAcceptedDomains === undefined
      ? {}
      : { fallbackAcceptedDomains: options.fallbackAcceptedDomains }),
  });
}
