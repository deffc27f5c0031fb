/** An Output that records what the CLI writes, for tests. */
import { main } from '../../bin/cli.js';
import type { Output, Progress } from '../../bin/support/output.js';

export class CapturedOutput implements Output {
  public stdout = '';
  public stderr = '';
  private readonly decoder = new TextDecoder();
  public async write(data: string | Uint8Array): Promise<void> {
    this.stdout += typeof data === 'string' ? data : this.decoder.decode(data, { stream: true });
  }
  public error(text: string): void {
    this.stderr += `${text}\n`;
  }
  public progress(): Progress {
    return { update() {}, done() {} };
  }
}

/** Runs the command line in-process, as `relay-audit <argv…>` would, capturing what it writes. */
export async function cli(...argv: string[]): Promise<{ status: number; out: CapturedOutput }> {
  const out = new CapturedOutput();
  const status = await main(argv, out);
  return { status, out };
}
