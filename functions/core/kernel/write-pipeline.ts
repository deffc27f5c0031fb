/**
 * Sink writes kept in flight while the analysis reads on. A store that works on another core (the
 * embedded engine's thread, or DynamoDB across the network) then overlaps with parsing and
 * classifying instead of taking turns with it, and memory stays bounded: at most `depth` writes are
 * pending, and the reader waits for the oldest before starting another.
 */
export class WritePipeline {
  private readonly inFlight: Promise<void>[] = [];
  private failure: { error: unknown } | undefined;

  public constructor(private readonly depth: number) {
    if (!Number.isInteger(depth) || depth < 1)
      throw new RangeError(`depth must be a whole number ≥ 1, got ${depth}`);
  }

  /**
   * Starts `write`, first waiting while `depth` writes are pending. Throws the error of an earlier
   * write that failed (the first one), so a failing store stops the reading at the next batch.
   */
  public async add(write: () => Promise<unknown>): Promise<void> {
    this.throwIfFailed();
    while (this.inFlight.length >= this.depth) await this.inFlight.shift();
    this.throwIfFailed();
    this.inFlight.push(
      write().then(
        () => undefined,
        (error: unknown) => {
          this.failure ??= { error };
        },
      ),
    );
  }

  /** Waits for every pending write; throws the first failure, if any. */
  public async drain(): Promise<void> {
    await Promise.all(this.inFlight.splice(0));
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }
}
