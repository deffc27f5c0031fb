/**
 * What the sources view says of an interrupted record is true where it was analysed: the cloud
 * delivers an upload again; on `relay-audit serve` or `relay-audit analyze` (a `cli:` lease) nothing
 * does, so the user is told what to do.
 */
import { describe, expect, it } from 'vitest';
import { interruptedText } from '../../dashboard/src/interrupted-text.js';

const EXPIRES = '2026-11-28T10:00:00.000Z';
const UPLOAD_KEY = 'incoming/dashboard/local/20261128T094500Z-0a1b2c3d/MSGTRK2026112801-1.LOG';

describe('the text of an interrupted source', () => {
  it('in the cloud: the next delivery analyses it again', () => {
    const text = interruptedText({
      file: 'incoming/dashboard/alice@contoso.com/20261128T094500Z-0a1b2c3d/MSGTRK2026112801-1.LOG',
      lease: { owner: '6f2d1c0e-request/8c1e2f3a-uuid', expiresAt: EXPIRES },
    });
    expect(text).toContain('The next delivery or run analyses it again.');
  });

  it('a dashboard upload on serve: upload the file again', () => {
    const text = interruptedText({
      file: UPLOAD_KEY,
      lease: { owner: 'cli:laptop:4242:8c1e2f3a-uuid', expiresAt: EXPIRES },
    });
    expect(text).toContain('upload the file again');
    expect(text).not.toContain('delivery');
  });

  it('a file given to analyze: run analyze on it again', () => {
    const text = interruptedText({
      file: 'logs/MSGTRK2026112801-1.LOG',
      lease: { owner: 'cli:laptop:4242:8c1e2f3a-uuid', expiresAt: EXPIRES },
    });
    expect(text).toContain('run relay-audit analyze on the file again');
    expect(text).not.toContain('delivery');
    expect(text).not.toContain('upload');
  });
});
