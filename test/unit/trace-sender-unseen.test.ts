/**
 * A Graph trace detail analysed without its trace page (the samples' graph-trace-details.json, whose
 * Data holds no ReturnPath): its refusal names no sender, which decides the scenario and the advice.
 * Found by a hunt, which analysed the page and the details in separate runs: the detail's run said
 * nothing of it. The file is now noted, with what to give in the same run; with the page, it is not.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeFiles } from '../support/analyze-text.js';

const SAMPLES = join(import.meta.dirname, '..', '..', 'sample-logs');

async function notesOf(names: readonly string[]) {
  const files = await Promise.all(
    names.map(async (name) => ({ name, content: await readFile(join(SAMPLES, name)) })),
  );
  const { sources, findings } = await analyzeFiles(files, { accepted: 'contoso.com' });
  const detail = sources.find((source) => source.file === 'graph-trace-details.json');
  return {
    unseen: (detail?.notes ?? [])
      .filter((note) => note.code === 'SENDER_NOT_SEEN')
      .map((note) => note.message),
    findings,
  };
}

describe('a trace detail whose refusals name no sender', () => {
  it('is noted when no file of the run has the trace page, saying what to give', async () => {
    const { unseen, findings } = await notesOf(['graph-trace-details.json']);
    const senderless = findings.filter(
      (finding) => finding.sender === undefined && finding.returnPath === undefined,
    );
    expect(senderless.length).toBeGreaterThan(0);
    expect(unseen).toEqual([
      `${senderless.length === 1 ? '1 refusal names' : `${senderless.length} refusals name`} no sender: a message trace detail gives none ` +
        "(Graph's getDetailsByRecipient, an export without SenderAddress) and no file of this run has the message's " +
        'trace row. The sender decides the scenario and the advice: analyse the message trace of the same messages ' +
        '(Graph messageTraces, Get-MessageTraceV2 | Export-Csv) in the same run.',
    ]);
  });

  it('is not noted when the run has the trace page, which names the sender', async () => {
    const { unseen, findings } = await notesOf(['graph-message-traces.json', 'graph-trace-details.json']);
    expect(unseen).toEqual([]);
    for (const finding of findings) expect(finding.sender ?? finding.returnPath).toBeDefined();
  });
});
