/** `POST /uploads?name=&size=`: an upload grant for one file (see functions/api/upload-grant.ts). */
import { ErrorCode } from '../../core/kernel/errors.js';
import { ApiError, NotFoundError } from '../errors.js';
import { CLOUD_HOST, tooLargeMessage } from '../host-advice.js';
import type { ApiResponse } from '../messages.js';
import { parseQuery, UploadParams } from '../params.js';
import { jsonResponse } from '../responses.js';
import { MAX_UPLOAD_BYTES } from '../upload-grant.js';
import type { RouteContext } from './route-context.js';

/** The grant, or 413 for a file larger than uploads may be. */
export async function createUpload({ request, deps }: RouteContext): Promise<ApiResponse> {
  if (deps.uploads === undefined) throw new NotFoundError('uploads are not enabled on this API');
  const { name, size } = parseQuery(UploadParams, request);
  if (size > MAX_UPLOAD_BYTES) {
    throw new ApiError(
      413,
      ErrorCode.InvalidArgument,
      tooLargeMessage(deps.host ?? CLOUD_HOST, MAX_UPLOAD_BYTES),
    );
  }
  const grant = await deps.uploads.grant({ fileName: name, size, caller: request.caller ?? 'local' });
  return jsonResponse(201, grant);
}
