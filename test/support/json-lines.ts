/**
 * What a function writes while `act` runs: every JSON object line on stdout and stderr (Powertools'
 * log lines and embedded-metric-format documents), parsed. Other output passes through.
 */
type Write = typeof process.stdout.write;

export async function captureJsonLines<T>(
  act: () => Promise<T>,
): Promise<{ result: T; lines: Record<string, unknown>[] }> {
  const lines: Record<string, unknown>[] = [];
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((stream) => stream.write);
  streams.forEach((stream, index) => {
    const original = originals[index] as Write;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
      const json = text.split('\n').filter((line) => line.startsWith('{'));
      if (json.length === 0)
        return (original as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
      for (const line of json) lines.push(JSON.parse(line) as Record<string, unknown>);
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as Write;
  });
  try {
    return { result: await act(), lines };
  } finally {
    streams.forEach((stream, index) => {
      stream.write = originals[index] as Write;
    });
  }
}
