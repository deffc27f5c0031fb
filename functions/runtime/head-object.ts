/**
 * The current version of an object, read with HeadObject: what a listing item does not say (the
 * re-analysis), or what a stored source record does not keep (the ingest's re-announcements).
 */
import { HeadObjectCommand, NotFound, type S3Client } from '@aws-sdk/client-s3';

/** The current version of an object (HeadObject), or undefined when it no longer exists. */
export type HeadObject = (
  bucket: string,
  key: string,
) => Promise<{ versionId?: string; eTag?: string; size?: number; lastModified?: Date } | undefined>;

/** A {@link HeadObject} over `s3`: undefined for an object deleted since it was listed. */
export function headObjectWith(s3: S3Client): HeadObject {
  return async (bucket, key) => {
    try {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return {
        ...(head.VersionId === undefined ? {} : { versionId: head.VersionId }),
        ...(head.ETag === undefined ? {} : { eTag: head.ETag }),
        ...(head.ContentLength === undefined ? {} : { size: head.ContentLength }),
        ...(head.LastModified === undefined ? {} : { lastModified: head.LastModified }),
      };
    } catch (error) {
      if (error instanceof NotFound) return undefined;
      throw error;
    }
  };
}
