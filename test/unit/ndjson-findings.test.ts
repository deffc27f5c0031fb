import { describe, expect, it } from 'vitest';
import { NdjsonFindingWriter } from '../../bin/support/ndjson-findings.js';
import type { Finding } from '../../functions/core/analysis/model/findings.js';
import { makeFinding } from '../support/make-finding.js';

/** Runs findings through the writer in `batches`, returning the blocks it handed over. */
async function write(findings: Finding[], batches = 1): Promise<Buffer[]> {
  const blocks: Buffer[] = [];
  const writer = new NdjsonFindingWriter(async (bytes) => {
    blocks.push(Buffer.from(bytes));
  });
  const size = Math.ceil(findings.length / batches);
  for (let start = 0; start < findings.length; start += size) {
    await writer.add(findings.slice(start, start + size));
  }
  await writer.end();
  return blocks;
}

/** The blocks hold one line per finding that parses back to it. */
function expectLinesOf(blocks: Buffer[], findings: Finding[]): void {
  const lines = Buffer.concat(blocks).toString('utf8').trim().split('\n');
  expect(lines.map((line) => JSON.parse(line))).toEqual(findings.map((f) => JSON.parse(JSON.stringify(f))));
}

describe('NdjsonFindingWriter', () => {
  it('writes one JSON finding per line, remediation last, across many blocks and batches', async () => {
    // Shared remediation objects (as the classifier hands them out) and non-ASCII text.
    const shared = makeFinding().remediation;
    const findings = Array.from({ length: 300 }, (_, index) =>
      makeFinding({
        subject: index % 3 === 0 ? `Überweisung « ${index} » 😀` : `plain ${index}`,
        ...(index % 2 === 0 ? { remediation: shared } : {}),
      }),
    );
    const blocks = await write(findings, 7);
    const text = Buffer.concat(blocks).toString('utf8');
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(findings.length);
    expect(lines.map((line) => JSON.parse(line))).toEqual(findings.map((f) => JSON.parse(JSON.stringify(f))));
    expect(lines[0]).toMatch(/,"remediation":\{.*\}\}$/);
    expect(blocks.length).toBeGreaterThan(1);
    for (const block of blocks) expect(block.length).toBeLessThanOrEqual(64 * 1024);
  });

  it('writes a remediation larger than a block whole', async () => {
    const big = makeFinding({
      remediation: { ...makeFinding().remediation, explanation: 'é'.repeat(80_000) },
    });
    const findings = [makeFinding(), big, makeFinding()];
    expectLinesOf(await write(findings), findings);
  });

  it('writes a finding whose own text is larger than a block, ASCII or not', async () => {
    const findings = [
      makeFinding(),
      makeFinding({ subject: 'x'.repeat(70_000) }),
      makeFinding({ subject: 'ü'.repeat(40_000) }),
      makeFinding(),
    ];
    expectLinesOf(await write(findings), findings);
  });

  it('writes nothing for no findings', async () => {
    expect(await write([])).toEqual([]);
  });
});
