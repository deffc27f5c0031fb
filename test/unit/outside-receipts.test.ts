/**
 * The receipts the classifier keeps of a message for outside recipients (evidence/outside-receipts.ts)
 * do not depend on the order they are read in: read newest first (a `Sort-Object Timestamp
 * -Descending` export, a later server's log read first), the next server's receipt of a copy handed
 * on between the organisation's servers came before the sender's own receipt for the same recipient
 * and took its place, and an application's relayed mail became forwarding.
 */
import { describe, expect, it } from 'vitest';
import {
  addressedBySender,
  type InboundTrace,
} from '../../functions/core/analysis/evidence/inbound-trace.js';
import { OutsideReceipts } from '../../functions/core/analysis/evidence/outside-receipts.js';

const MESSAGE = 'APP01.20261128142010.4711@app01.contoso.com';
const AP = 'ap@litware.com';

/** A receipt for `recipient` from `client` at second `second`. */
function received(recipient: string, client: string, second: number, fromOwnServer = false): InboundTrace {
  const trace: InboundTrace = {
    kind: 'received-for',
    recipient,
    eventId: 'RECEIVE',
    line: second,
    client,
    at: `2026-11-28T14:20:${String(second).padStart(2, '0')}.000Z`,
  };
  if (fromOwnServer) trace.fromOwnServer = true;
  return trace;
}

/** Every order of `items`. */
function orders<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, at) =>
    orders([...items.slice(0, at), ...items.slice(at + 1)]).map((rest) => [item, ...rest]),
  );
}

/** What `OutsideReceipts` keeps of `receipts` read in this order, sorted to compare. */
function kept(receipts: readonly InboundTrace[]): string[] {
  const store = new OutsideReceipts(10);
  for (const trace of receipts) store.add(MESSAGE, { ...trace });
  return (store.of(MESSAGE) ?? []).map((trace) => `${trace.recipient} ${trace.client} ${trace.at}`).sort();
}

describe('OutsideReceipts', () => {
  it('keeps the sender’s receipt beside a copy’s read before it', () => {
    const lee = received('lee@contoso.com', '192.0.2.40', 10); // internal: the classifier keeps it apart
    const app = received(AP, '192.0.2.40', 10);
    const copy = received(AP, '192.0.2.11', 11, true);
    for (const order of orders([app, copy])) {
      const store = new OutsideReceipts(10);
      for (const trace of order) store.add(MESSAGE, trace);
      const inbound = [lee, ...(store.of(MESSAGE) ?? [])];
      expect(inbound).toContain(app);
      expect(addressedBySender(inbound, AP)).toBe(true);
    }
  });

  it('keeps the same receipts in every order, the earliest per client, at most four per recipient', () => {
    const receipts = [
      received(AP, '192.0.2.40', 10),
      received(AP, '192.0.2.40', 14), // the same client again, later: not kept
      received(AP, '192.0.2.11', 11, true),
      received(AP, '192.0.2.12', 12, true),
      received(AP, '192.0.2.25', 13, true),
      received(AP, '192.0.2.26', 15, true), // a fifth client, the latest: past the bound
      received('bo@litware.com', '192.0.2.40', 10),
    ];
    const expected = kept(receipts);
    expect(expected).toEqual([
      `${AP} 192.0.2.11 2026-11-28T14:20:11.000Z`,
      `${AP} 192.0.2.12 2026-11-28T14:20:12.000Z`,
      `${AP} 192.0.2.25 2026-11-28T14:20:13.000Z`,
      `${AP} 192.0.2.40 2026-11-28T14:20:10.000Z`,
      'bo@litware.com 192.0.2.40 2026-11-28T14:20:10.000Z',
    ]);
    for (const order of orders(receipts)) expect(kept(order)).toEqual(expected);
  });

  it('still stands for recipients past the eight kept with one receipt without a recipient', () => {
    const store = new OutsideReceipts(10);
    for (let i = 0; i < 10; i++) store.add(MESSAGE, received(`r${i}@litware.com`, '192.0.2.40', 10));
    const list = store.of(MESSAGE) ?? [];
    expect(list).toHaveLength(9);
    expect(list.at(-1)?.recipient).toBeUndefined();
  });
});
