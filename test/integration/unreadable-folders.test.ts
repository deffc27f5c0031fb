/**
 * A folder the walk finds but may not read (Debian's /var/log/exim4, mode 2750, read by another
 * user) may hold refusals: it is listed with them, with what to do, never as a harmless file. The
 * folder's readdir is made to fail with EACCES, as it does for a user who may not read it: tests may
 * run as root, who reads anything.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { findLocalInputs } from '../../bin/support/inputs.js';
import { dirPerTest } from '../support/dir-per-test.js';

/** The name of the folder whose readdir fails, as for a user outside its group. */
const LOCKED = 'exim4';

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const readdir = (async (path: Parameters<typeof actual.readdir>[0], ...rest: unknown[]) => {
    if (String(path).endsWith(`/${LOCKED}`)) {
      throw Object.assign(new Error(`EACCES: permission denied, scandir '${String(path)}'`), {
        code: 'EACCES',
      });
    }
    return (actual.readdir as (...args: unknown[]) => Promise<unknown>)(path, ...rest);
  }) as typeof actual.readdir;
  return { ...actual, readdir, default: { ...actual, readdir } };
});

const dir = dirPerTest('relay-audit-unreadable-');

describe('a folder found that may not be read', () => {
  it('is listed as one that may hold relay refusals, saying to read it as a user who can', async () => {
    await mkdir(join(dir(), 'log', LOCKED), { recursive: true });
    await writeFile(join(dir(), 'log', LOCKED, 'mainlog'), '');
    await writeFile(join(dir(), 'log', 'mail.log'), '');

    const found = await findLocalInputs([join(dir(), 'log')], dir());

    expect(found.inputs.map(({ name }) => name)).toEqual(['log/mail.log']);
    expect(found.notAnalysed).toEqual([
      {
        file: `log/${LOCKED}`,
        reason:
          'cannot be read: permission denied, and it may hold relay refusals: run relay-audit as a user who can read it ' +
          '(with sudo, or as a member of its group), or copy its files to a folder you can read and analyse them there',
      },
    ]);
    expect(found.mayHoldRefusals).toEqual([`log/${LOCKED}`]);
  });

  it('named on the command line, is a usage error saying why', async () => {
    await mkdir(join(dir(), LOCKED));
    await expect(findLocalInputs([join(dir(), LOCKED)], dir())).rejects.toThrow(
      /exim4: cannot be read: permission denied/,
    );
  });
});
