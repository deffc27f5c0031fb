/**
 * Upload grants in the cloud: an S3 presigned POST (`@aws-sdk/s3-presigned-post`) for exactly one
 * key under `incoming/dashboard/<user>/`, a size range, and the user in the object's metadata —
 * each a condition of the signed policy, so the browser cannot change any of them.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { FILE_MODIFIED_FIELD } from '../core/kernel/file-modified.js';
import {
  dashboardUploadKey,
  MAX_UPLOAD_BYTES,
  UPLOAD_GRANT_SECONDS,
  UPLOADED_BY_FIELD,
  type UploadGrant,
  type UploadRequest,
  type UploadSigner,
} from './upload-grant.js';

/** Signs grants with the function's own credentials (its role may put objects under incoming/dashboard/). */
export class S3UploadSigner implements UploadSigner {
  public constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  public async grant(request: UploadRequest, now: Date = new Date()): Promise<UploadGrant> {
    const key = dashboardUploadKey(request, now);
    const caller = request.caller.replace(/[^\x20-\x7e]/g, '?');
    const post = await createPresignedPost(this.s3, {
      Bucket: this.bucket,
      Key: key,
      Expires: UPLOAD_GRANT_SECONDS,
      Fields: { [UPLOADED_BY_FIELD]: caller },
      Conditions: [
        ['content-length-range', 1, Math.min(request.size, MAX_UPLOAD_BYTES)],
        ['eq', `$${UPLOADED_BY_FIELD}`, caller],
        // S3 refuses a form field no condition names: the file's modification time, any value
        // (ingest validates it). S3 also fails this condition when the field is absent: the
        // dashboard always sends it.
        ['starts-with', `$${FILE_MODIFIED_FIELD}`, ''],
      ],
    });
    return {
      url: post.url,
      fields: post.fields,
      key,
      maxBytes: Math.min(request.size, MAX_UPLOAD_BYTES),
      expiresAt: new Date(now.getTime() + UPLOAD_GRANT_SECONDS * 1000).toISOString(),
    };
  }
}
