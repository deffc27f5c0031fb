/** An Output that records what the CLI writes, for tests. */
import type { Output, Progress } from '../../bin/support/output.js';

export class CapturedOutput implements Output {
  public stdout = '';
  public stderr = '';
  public async write(text: string): Promise<void> {
    this.stdout += text;
  }
  public error(text: string): void {
    this.stderr += `${text}\n`;
  }
  public progress(): Progress {
    return { update() {}, done() {} };
  }
}
