/**
 * The key of a dashboard upload (`incoming/dashboard/<user>/<time>-<random>/<file>`), the same for
 * the cloud's presigned POST and `relay-audit serve`: one path segment per name, never a path of its
 * own, with the letters and digits of any script kept (S3 keys are UTF-8).
 */
import { describe, expect, it } from 'vitest';
import { dashboardUploadKey, dashboardUploadTime, keyPart } from '../../functions/api/upload-grant.js';

describe('keyPart', () => {
  it.each([
    ['../../../etc/passwd', '__.._.._etc_passwd'],
    ['..', '_'],
    ['.hidden', '_hidden'],
    ['a\0b', 'a_b'],
    ['\0', '_'],
    ['C:\\logs\\MSGTRK.LOG', 'C_logs_MSGTRK.LOG'],
    ['MSGTRK2026112800-1.LOG', 'MSGTRK2026112800-1.LOG'],
    ['ops@contoso.com', 'ops@contoso.com'],
    ['a+b=c_d-e.log', 'a+b=c_d-e.log'],
  ])('renders %j as %j, as it always did', (name, part) => {
    expect(keyPart(name)).toBe(part);
  });

  it('keeps letters and digits of any script, normalised to NFC', () => {
    // Prepare: the name as macOS gives it, decomposed (u + U+0308).
    const decomposed = 'ünïcödé 日本 ✉.log'.normalize('NFD');
    // Assess
    expect(keyPart(decomposed)).toBe('ünïcödé_日本_.log');
    expect(keyPart('ünïcödé.log')).toBe('ünïcödé.log');
    expect(keyPart('Журнал-доставки-٣.log')).toBe('Журнал-доставки-٣.log');
    // Combining marks of scripts without precomposed letters stay with their letters.
    expect(keyPart('हिंदी.log')).toBe('हिंदी.log');
    expect(keyPart('müller@bücher.example')).toBe('müller@bücher.example');
  });

  it('turns separators, controls, symbols and the characters S3 advises against into _', () => {
    expect(keyPart('a/b\\c')).toBe('a_b_c');
    expect(keyPart('tab\there\r\nnew\u007fdel\u0085nel')).toBe('tab_here_new_del_nel');
    // Right-to-left override and zero-width characters would hide what a name says.
    expect(keyPart('log\u202Egol.exe\u200B')).toBe('log_gol.exe_');
    expect(keyPart('a{b}c^d%e`f[g]h"i<j>k~l#m|n&o$p;q:r,s?t u')).toBe(
      'a_b_c_d_e_f_g_h_i_j_k_l_m_n_o_p_q_r_s_t_u',
    );
    expect(keyPart('✉')).toBe('_');
    expect(keyPart('')).toBe('_');
  });

  it('cuts a long name at 100 characters, never inside one', () => {
    // Prepare: a letter outside the BMP is two UTF-16 code units.
    const long = '𠮷'.repeat(150);
    // Act
    const part = keyPart(long);
    // Assess
    expect(Array.from(part)).toHaveLength(100);
    expect(Buffer.from(part, 'utf8').toString('utf8')).toBe(part);
    expect(keyPart('a'.repeat(300))).toBe('a'.repeat(100));
  });
});

describe('dashboardUploadKey', () => {
  it('puts the user and the file, each one segment, under incoming/dashboard/', () => {
    // Act
    const key = dashboardUploadKey(
      { fileName: '../ünïcödé/日本.log', size: 10, caller: 'kate/../../admin' },
      new Date('2026-11-28T10:00:00.123Z'),
    );
    // Assess
    expect(key).toMatch(
      /^incoming\/dashboard\/kate_.._.._admin\/20261128T100000Z-[0-9a-f]{8}\/__ünïcödé_日本\.log$/,
    );
    expect(key.split('/')).toHaveLength(5);
  });
});

describe('dashboardUploadTime', () => {
  it('reads back the second the key was granted, whatever the user and file are called', () => {
    // Prepare
    const granted = new Date('2026-12-07T15:30:55.120Z');
    const key = dashboardUploadKey(
      { fileName: 'MSGTRK 1/2.LOG', size: 10, caller: 'ops@contoso.com' },
      granted,
    );
    // Act
    const time = dashboardUploadTime(key);
    // Assess
    expect(time?.toISOString()).toBe('2026-12-07T15:30:55.000Z');
  });

  it.each([
    'incoming/cli/EX01/MSGTRK2026112800-1.LOG',
    'incoming/dashboard/local/MSGTRK2026112800-1.LOG',
    'incoming/dashboard/local/20261207T153055Z-4d13bef0/sub/a.LOG',
    'incoming/dashboard/local/20261399T250000Z-4d13bef0/a.LOG',
    'incoming/dashboard/local/20260231T000000Z-4d13bef0/a.LOG',
    'incoming/dashboard/local/20261207T153055Z-4D13BEF0/a.LOG',
  ])('is undefined for %j, which the API did not grant', (key) => {
    expect(dashboardUploadTime(key)).toBeUndefined();
  });
});
