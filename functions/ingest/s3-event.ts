/**
 * Parsing what SQS hands the ingest function: an SQS event whose message bodies are S3 event
 * notifications (or S3's `s3:TestEvent`, sent once when a notification is configured).
 * Everything is validated with zod at this trust boundary; object keys are URL-decoded the way S3
 * encodes them (`+` for a space, `%XX` for the rest).
 */
import { z } from 'zod';
import { firstIssueLine } from '../core/kernel/issues.js';
import { InvalidMessageError } from './errors.js';

/** One SQS message as far as the handler cares: its id (for batch item failures) and body. */
export const SqsMessage = z.looseObject({
  messageId: z.string().min(1),
  body: z.string(),
});
export type SqsMessage = z.infer<typeof SqsMessage>;

export const SqsEvent = z.looseObject({ Records: z.array(SqsMessage) });
export type SqsEvent = z.infer<typeof SqsEvent>;

/** Decodes an S3 notification key: `+` is a space, then percent-decoding. */
export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

const EncodedKey = z.string().transform((key, ctx) => {
  try {
    return decodeS3Key(key);
  } catch {
    ctx.addIssue({ code: 'custom', message: `object key "${key}" is not valid URL encoding` });
    return z.NEVER;
  }
});

const S3Record = z.looseObject({
  eventSource: z.literal('aws:s3'),
  eventName: z.string(),
  s3: z.looseObject({
    bucket: z.looseObject({ name: z.string().min(1) }),
    object: z.looseObject({
      key: EncodedKey.pipe(z.string().min(1)),
      size: z.number().int().nonnegative().optional(),
      eTag: z.string().optional(),
      versionId: z.string().optional(),
      sequencer: z.string().optional(),
    }),
  }),
});

const S3Notification = z.looseObject({ Records: z.array(S3Record) });
const S3TestEvent = z.looseObject({ Event: z.literal('s3:TestEvent') });

/** The object an ObjectCreated notification names. */
export interface S3ObjectRef {
  bucket: string;
  /** Decoded key. */
  key: string;
  size?: number;
  eTag?: string;
  versionId?: string;
  sequencer?: string;
  /** e.g. `ObjectCreated:Put`. */
  eventName: string;
}

/** What one SQS message asks for. */
export type ParsedMessage =
  | { kind: 'test-event' }
  /**
   * Created objects, removed objects (a deleted `config/` file changes the configuration), and how
   * many records of other kinds were ignored.
   */
  | { kind: 'objects'; objects: S3ObjectRef[]; removed: S3ObjectRef[]; ignored: number };

/** Validates the SQS event envelope; a malformed envelope fails the whole invocation. */
export function parseSqsEvent(event: unknown): SqsEvent {
  const parsed = SqsEvent.safeParse(event);
  if (!parsed.success) {
    throw new InvalidMessageError(`not an SQS event: ${firstIssueLine(parsed.error, { whole: '(root)' })}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/** Parses one message body. Throws {@link InvalidMessageError} for anything but an S3 notification. */
export function parseMessage(message: SqsMessage): ParsedMessage {
  let json: unknown;
  try {
    json = JSON.parse(message.body);
  } catch (error) {
    throw new InvalidMessageError(`message ${message.messageId}: body is not JSON`, {
      messageId: message.messageId,
      cause: error,
    });
  }
  if (S3TestEvent.safeParse(json).success) return { kind: 'test-event' };
  const parsed = S3Notification.safeParse(json);
  if (!parsed.success) {
    throw new InvalidMessageError(
      `message ${message.messageId}: not an S3 event notification: ${firstIssueLine(parsed.error, { whole: '(root)' })}`,
      { messageId: message.messageId, cause: parsed.error },
    );
  }
  const objects: S3ObjectRef[] = [];
  const removed: S3ObjectRef[] = [];
  let ignored = 0;
  for (const record of parsed.data.Records) {
    const created = record.eventName.startsWith('ObjectCreated:');
    if (!created && !record.eventName.startsWith('ObjectRemoved:')) {
      ignored++;
      continue;
    }
    const { object, bucket } = record.s3;
    const ref: S3ObjectRef = { bucket: bucket.name, key: object.key, eventName: record.eventName };
    if (object.size !== undefined) ref.size = object.size;
    if (object.eTag !== undefined) ref.eTag = object.eTag;
    if (object.versionId !== undefined) ref.versionId = object.versionId;
    if (object.sequencer !== undefined) ref.sequencer = object.sequencer;
    (created ? objects : removed).push(ref);
  }
  return { kind: 'objects', objects, removed, ignored };
}

/**
 * The identity of the uploaded content: bucket, key and version (or eTag when the bucket is not
 * versioned). A redelivered notification has the same identity, a re-upload a new one.
 */
export function objectIdentity(ref: S3ObjectRef): string {
  const version =
    ref.versionId !== undefined && ref.versionId !== 'null'
      ? `version:${ref.versionId}`
      : ref.eTag !== undefined
        ? `etag:${ref.eTag.replace(/"/g, '')}`
        : ref.sequencer !== undefined
          ? `sequencer:${ref.sequencer}`
          : undefined;
  if (version === undefined) {
    throw new InvalidMessageError(
      `s3://${ref.bucket}/${ref.key}: the notification has no versionId, eTag or sequencer to identify the upload`,
    );
  }
  return `s3://${ref.bucket}/${ref.key}#${version}`;
}
