/** The current version of an object, read with HeadObject: what a listing item does not say. */
import { HeadObjectCommand, NotFound, type S3Client } from '@aws-sdk/client-s3';
import type { HeadObject } from './reanalyse.js';

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
