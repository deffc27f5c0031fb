/** The store's rollup counters against the counts the findings themselves give, cell by cell. */
import { Finding } from '../../functions/core/analysis/model/findings.js';
import { startEmbeddedStore } from '../../functions/store/embedded-engine.js';
import { rollupCellOf } from '../../functions/store/rollups.js';
import { rollupKey } from '../../functions/store/table-design.js';

/** The findings of `analyze --no-store` output (NDJSON), by id. */
export function findingsOf(ndjson: string): Map<string, Finding> {
  const lines = ndjson.split('\n').filter(Boolean);
  return new Map(
    lines.map((line) => Finding.parse(JSON.parse(line))).map((finding) => [finding.id, finding]),
  );
}

/** Each rollup cell's count, recomputed from findings: `<pk> <sk>` → count. */
export function countsPerCell(findings: readonly Finding[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const finding of findings) {
    const key = rollupKey(rollupCellOf(finding));
    counts.set(`${key.pk} ${key.sk}`, (counts.get(`${key.pk} ${key.sk}`) ?? 0) + 1);
  }
  return counts;
}

/** The counters stored in `db` over the days of `findings`, as `countsPerCell` keys them. */
export async function storedCounters(db: string, findings: readonly Finding[]): Promise<Map<string, number>> {
  const days = findings.map((finding) => finding.timestamp.slice(0, 10)).sort();
  const handle = await startEmbeddedStore({ dir: db });
  try {
    const rows = await handle.store.queryRollups({ from: days[0] ?? '', to: days.at(-1) ?? '' });
    return new Map(
      rows.map((row) => {
        const key = rollupKey(row);
        return [`${key.pk} ${key.sk}`, row.count];
      }),
    );
  } finally {
    await handle.close();
  }
}
