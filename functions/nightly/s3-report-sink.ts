/** Report files as objects under `reports/` of the relay-audit bucket. */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { BUCKET_PREFIX } from '../runtime/bucket-layout.js';
import { ReportWriteError } from './errors.js';
import type { ReportFile, ReportSink } from './report-sink.js';

/** Writes each file to `s3://<bucket>/reports/<name>` (a re-run overwrites: a new version). */
export class S3ReportSink implements ReportSink {
  public constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  public async write(files: readonly ReportFile[]): Promise<string[]> {
    const locations: string[] = [];
    for (const file of files) {
      const key = `${BUCKET_PREFIX.reports}${file.name}`;
      const location = `s3://${this.bucket}/${key}`;
      try {
        await this.s3.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: key,
            Body: file.body,
            ContentType: file.contentType,
          }),
        );
      } catch (error) {
        throw new ReportWriteError(
          `cannot write ${location}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
          location,
          { cause: error },
        );
      }
      locations.push(location);
    }
    return locations;
  }
}
