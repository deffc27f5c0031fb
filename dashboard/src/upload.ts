/**
 * Upload on the Sources page: drop files or pick them; each is sent with the grant the API hands
 * out (`POST /uploads`: an S3 presigned POST in the cloud, the local server with `relay-audit
 * serve`), with its progress, then followed until the stack has analysed it: processing, then done
 * with its findings, or failed with why.
 */
import { FILE_MODIFIED_FIELD } from '../../functions/core/kernel/file-modified.js';
import type { ApiClient } from './api.js';
import { formatCount, h } from './dom.js';
import { sourceNotes, sourceNotesMarker } from './source-notes.js';
import { findingsText } from './sources.js';
import type { SourceSummary, UploadGrant } from './types.js';

/** How often the sources are asked for the upload's record, and for how long. */
const POLL_MS = 1000;
const POLL_LIMIT_MS = 15 * 60 * 1000;

/**
 * Sends the form S3 (or the local server) expects: the grant's fields and the file's modification
 * time, then the file (S3 reads no field after it), with progress.
 */
function sendForm(grant: UploadGrant, file: File, onProgress: (fraction: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(grant.fields)) form.append(name, value);
    form.append(FILE_MODIFIED_FIELD, new Date(file.lastModified).toISOString());
    form.append('file', file);
    const request = new XMLHttpRequest();
    request.open('POST', grant.url);
    request.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    request.addEventListener('load', () =>
      request.status >= 200 && request.status < 300
        ? resolve()
        : reject(
            new Error(`the upload was refused (${request.status}): ${request.responseText.slice(0, 200)}`),
          ),
    );
    request.addEventListener('error', () => reject(new Error('the upload did not reach the server')));
    request.send(form);
  });
}

/**
 * Waits for the upload's source record to be done or failed. Asked for by the upload's key, not
 * looked for among the newest sources: of many files dropped at once, the first analysed would
 * have left that page before the last were.
 */
async function followAnalysis(
  api: ApiClient,
  key: string,
  onStatus: (text: string) => void,
): Promise<SourceSummary> {
  const deadline = Date.now() + POLL_LIMIT_MS;
  while (Date.now() < deadline) {
    const [record] = (await api.uploadSources(key)).items;
    if (record && record.status !== 'processing') return record;
    onStatus(record ? 'Processing…' : 'Uploaded; waiting for the analysis…');
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error('not analysed after 15 minutes; the Sources list shows it when it is');
}

/**
 * What an analysed upload came to: rows, skipped rows by reason, findings; and, when its record
 * has notes (failures without a reason first), their marker, so it never reads as a plain all-clear.
 */
function doneText(record: SourceSummary): string {
  const skipped = Object.entries(record.skippedByReason)
    .map(([reason, count]) => `${reason} ${formatCount(count)}`)
    .join(', ');
  const rows =
    record.rowsSkipped > 0
      ? `${formatCount(record.rowsRead)} rows (${formatCount(record.rowsSkipped)} skipped: ${skipped})`
      : `${formatCount(record.rowsRead)} rows`;
  const marker = sourceNotesMarker(record);
  return `Done — ${rows}, findings: ${findingsText(record)}${marker === undefined ? '' : `; ${marker}`}`;
}

/** One file's row: name, progress bar, status; resolves when the file is analysed (or failed). */
async function uploadOne(
  api: ApiClient,
  file: File,
  list: HTMLElement,
  onAnalysed: () => void,
): Promise<void> {
  const bar = h('progress', { attrs: { max: 1, value: 0, 'aria-label': `Upload of ${file.name}` } });
  const status = h('span', { class: 'status status-processing', attrs: { role: 'status' } }, 'Starting…');
  const row = h(
    'li',
    { attrs: { 'data-upload': file.name } },
    h('strong', {}, file.name),
    ' ',
    bar,
    ' ',
    status,
  );
  list.append(row);
  const say = (text: string, kind: 'processing' | 'done' | 'attention' | 'failed' = 'processing') => {
    status.className = `status status-${kind}`;
    status.textContent = text;
  };
  try {
    const grant = await api.createUpload(file);
    say('Uploading…');
    await sendForm(grant, file, (fraction) => {
      bar.value = fraction;
      say(`Uploading… ${Math.round(fraction * 100)} %`);
    });
    bar.value = 1;
    const record = await followAnalysis(api, grant.key, (text) => say(text));
    if (record.status === 'failed') {
      say(`Failed: ${record.errorCode ?? 'ERROR'} ${record.errorMessage ?? ''}`, 'failed');
    } else {
      say(doneText(record), (record.unexplainedFailures ?? 0) > 0 ? 'attention' : 'done');
    }
    const notes = sourceNotes(record);
    if (notes !== null) row.append(notes);
    onAnalysed();
  } catch (error) {
    say(`Failed: ${error instanceof Error ? error.message : String(error)}`, 'failed');
  }
}

/** The upload panel: a drop zone with a file picker, and the list of this page's uploads. */
export function uploadPanel(api: ApiClient, onAnalysed: () => void): HTMLElement {
  const list = h('ul', { class: 'uploads', attrs: { 'aria-label': 'Uploads' } });
  const start = (files: FileList | null) => {
    for (const file of Array.from(files ?? [])) void uploadOne(api, file, list, onAnalysed);
  };
  const input = h('input', {
    attrs: { type: 'file', multiple: true, id: 'upload-input' },
    on: {
      change: (event) => {
        const target = event.currentTarget as HTMLInputElement;
        start(target.files);
        target.value = '';
      },
    },
  });
  const zone = h(
    'div',
    {
      class: 'panel drop-zone',
      attrs: { id: 'upload-zone' },
      on: {
        dragover: (event) => {
          event.preventDefault();
          zone.classList.add('dragging');
        },
        dragleave: () => zone.classList.remove('dragging'),
        drop: (event) => {
          event.preventDefault();
          zone.classList.remove('dragging');
          start(event.dataTransfer?.files ?? null);
        },
      },
    },
    h('label', { attrs: { for: 'upload-input' } }, 'Upload logs or exports: drop files here or choose them '),
    input,
    list,
  );
  return zone;
}
