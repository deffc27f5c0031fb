/**
 * Where the report files go: S3 `reports/` in the cloud, a local directory for the CLI. Both
 * write the same two files per day, named by {@link reportFileNames}.
 */

/** One file to write. */
export interface ReportFile {
  /** Name relative to the report location, e.g. `2026-11-28.json`. */
  name: string;
  body: string;
  contentType: string;
}

/** Writes report files; returns where each one went (an `s3://` URL or a path), in order. */
export interface ReportSink {
  write(files: readonly ReportFile[]): Promise<string[]>;
}

/** The two files of a day's report. */
export function reportFileNames(date: string): { json: string; markdown: string } {
  return { json: `${date}.json`, markdown: `${date}.md` };
}

/** The files of a report: pretty-printed JSON and the Markdown rendering, UTF-8. */
export function reportFiles(date: string, json: unknown, markdown: string): ReportFile[] {
  const names = reportFileNames(date);
  return [
    {
      name: names.json,
      body: `${JSON.stringify(json, null, 2)}\n`,
      contentType: 'application/json; charset=utf-8',
    },
    { name: names.markdown, body: markdown, contentType: 'text/markdown; charset=utf-8' },
  ];
}
