/** A FindingSink that keeps everything in memory (pure analysis tests; storage has its own tests). */
import type { FindingSink } from '../../functions/core/analysis/analyze.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import type { SourceRecord } from '../../functions/core/analysis/model/source-record.js';

export class MemorySink implements FindingSink {
  public readonly findings = new Map<string, Finding>();
  public readonly sources = new Map<string, SourceRecord>();
  public async putFindings(findings: Finding[]): Promise<void> {
    for (const finding of findings) this.findings.set(finding.id, finding);
  }
  public async putSource(record: SourceRecord): Promise<void> {
    this.sources.set(record.id, record);
  }
}
