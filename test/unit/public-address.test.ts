/** Which addresses a log names are on the internet (evidence/public-address.ts). */
import { describe, expect, it } from 'vitest';
import { isPublicAddress } from '../../functions/core/analysis/evidence/public-address.js';

describe('isPublicAddress', () => {
  it.each([
    ['52.101.1.1', true],
    ['203.0.113.80', true],
    ['172.32.0.1', true],
    ['100.128.0.1', true],
    ['10.0.1.11', false],
    ['172.16.0.1', false],
    ['172.31.255.254', false],
    ['192.168.1.20', false],
    ['127.0.0.1', false],
    ['169.254.10.1', false],
    ['100.64.0.1', false],
    ['::ffff:10.0.1.11', false],
    ['::ffff:52.101.1.1', true],
    ['[2603:10a6:208:1::5]', true],
    ['2603:10a6:208:1::5', true],
    ['fd00::12', false],
    ['fe80::1', false],
    ['::1', false],
  ])('%s → %s', (ip, expected) => {
    expect(isPublicAddress(ip)).toBe(expected);
  });

  it.each([undefined, '', 'EX02', '10.0.1', '300.1.1.1', 'mail.contoso.com'])('%s is no address', (ip) => {
    expect(isPublicAddress(ip)).toBeUndefined();
  });
});
