/** "Did you mean …?": the word meant by a typo, and no guess when nothing is close. */
import { describe, expect, it } from 'vitest';
import { closestWord, editDistance } from '../../functions/core/kernel/closest-word.js';

describe('editDistance', () => {
  it.each([
    ['analyse', 'analyze', 1],
    ['forwading', 'forwarding', 1],
    ['fowrarding', 'forwarding', 1], // two neighbours swapped: one edit
    ['', 'csv', 3],
    ['kitten', 'sitting', 3],
    ['same', 'same', 0],
  ])('%j → %j takes %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});

describe('closestWord', () => {
  const options = ['accepted-domains', 'connectors', 'db', 'json', 'no-store', 'window', 'year'];

  it.each([
    ['acepted-domains', 'accepted-domains'],
    ['accepted-domain', 'accepted-domains'],
    ['conectors', 'connectors'],
    ['nostore', 'no-store'],
    ['accepted', 'accepted-domains'], // the only option it begins
    ['JSON', 'json'],
  ])('%j → %j', (typed, meant) => {
    expect(closestWord(typed, options)).toBe(meant);
  });

  it.each(['frobnicate', 'x', 'store', 'at'])('guesses nothing for %j', (typed) => {
    expect(closestWord(typed, options)).toBeUndefined();
  });
});
