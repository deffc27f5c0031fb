/**
 * The one sentence the CLI report and the dashboard say of failed messages no file gives a reason
 * for: each file is named by its kind, never "the message trace" for every one.
 */
import { describe, expect, it } from 'vitest';
import {
  failedFilesPhrase,
  unexplainedFailuresSentence,
} from '../../functions/core/analysis/trace-failure-advice.js';

describe('unexplainedFailuresSentence', () => {
  it.each([
    [
      2,
      ['historical-search-summary'],
      '2 messages failed in the historical search summary, which does not say why: they may be relay refusals.',
    ],
    [
      1,
      ['message-trace'],
      '1 message failed in the message trace, which does not say why: it may be a relay refusal.',
    ],
    [
      3,
      ['message-trace', 'message-trace-json', 'message-trace'],
      '3 messages failed in the message trace and the JSON message trace, which does not say why: they may be relay refusals.',
    ],
  ])('of %i failures in %j says %s', (count, formats, sentence) => {
    // Act
    const said = unexplainedFailuresSentence(count, formats);
    // Assess
    expect(said).toBe(sentence);
  });

  it('names three kinds in a list, and calls a record without a format a message trace', () => {
    // Act
    const phrase = failedFilesPhrase(['message-trace-json', 'historical-search-summary', undefined]);
    // Assess
    expect(phrase).toBe('the JSON message trace, the historical search summary and the message trace');
  });
});
