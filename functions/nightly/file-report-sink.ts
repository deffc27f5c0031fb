/** Report files in a local directory (the CLI's `.relay-audit/reports/` or `--out DIR`). */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ReportWriteError } from './errors.js';
import type { ReportFile, ReportSink } from './report-sink.js';

/** Writes each file into `dir` (created if missing), atomically: a reader never sees half a report. */
export class FileReportSink implements ReportSink {
  private readonly dir: string;

  public constructor(dir: string) {
    this.dir = resolve(dir);
  }

  public async write(files: readonly ReportFile[]): Promise<string[]> {
    try {
      await mkdir(this.dir, { recursive: true });
    } catch (error) {
      throw new ReportWriteError(`cannot create the report directory ${this.dir}`, this.dir, {
        cause: error,
      });
    }
    const locations: string[] = [];
    for (const file of files) {
      const path = join(this.dir, file.name);
      const temporary = `${path}.${process.pid}.tmp`;
      try {
        await writeFile(temporary, file.body, 'utf8');
        await rename(temporary, path);
      } catch (error) {
        throw new ReportWriteError(`cannot write ${path}`, path, { cause: error });
      }
      locations.push(path);
    }
    return locations;
  }
}
