/** Analyses in-memory files end to end (decode, detect, read, classify) for the format tests. */
import { type AnalysisInput, analyze } from '../../functions/core/analysis/analyze.js';
import { parseAcceptedDomains } from '../../functions/core/organisation/accepted-domains.js';
import { MemorySink } from './memory-sink.js';
import { chunked } from './streams.js';

export interface TextFile {
  name: string;
  /** Text (written as UTF-8) or bytes as they are. */
  content: string | Uint8Array;
  modified?: Date;
}

/** Runs `analyze` over the files with the given accepted domains; chunks of 97 bytes test boundaries. */
export async function analyzeFiles(
  files: readonly TextFile[],
  options: { accepted?: string; year?: number; now?: Date; chunk?: number } = {},
) {
  const inputs: AnalysisInput[] = files.map((file) => {
    const bytes = typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content;
    const input: AnalysisInput = {
      name: file.name,
      sourceId: file.name,
      size: bytes.length,
      open: () => chunked(bytes, options.chunk ?? 97),
    };
    if (file.modified !== undefined) input.modified = file.modified;
    return input;
  });
  const sink = new MemorySink();
  const domains = parseAcceptedDomains(options.accepted ?? 'contoso.com', 'accepted');
  const now = options.now ?? new Date('2026-12-05T12:00:00Z');
  const result = await analyze(inputs, {
    domains,
    sink,
    now: () => now,
    year: options.year,
  });
  const findings = [...sink.findings.values()].sort(
    (a, b) => a.source.file.localeCompare(b.source.file) || a.source.line - b.source.line,
  );
  return { result, findings, sources: result.sources };
}
