/**
 * Streams read one after another (a saved archive's layer tars), each started as the one before
 * it is opened, so it fills a buffer of up to `bytes` while that one is read: the next layer's
 * reassembly runs beside the current one's instead of after it.
 */
export class ReadAheadSequence {
  private readonly started = new Map<number, ReadableStream<Uint8Array>>();

  constructor(private readonly openers: ReadonlyArray<() => ReadableStream<Uint8Array>>, private readonly bytes: number) {}

  /** The `i`-th stream (opened at most once); the one after it starts filling. */
  open(i: number): ReadableStream<Uint8Array> {
    const stream = this.start(i)!;
    this.start(i + 1);
    return stream;
  }

  /** Stops the streams started but not taken (a save that failed or was cancelled). */
  async cancel(reason?: unknown): Promise<void> {
    for (const stream of this.started.values()) {
      if (!stream.locked) await stream.cancel(reason).catch(() => {});
    }
  }

  private start(i: number): ReadableStream<Uint8Array> | undefined {
    if (i >= this.openers.length) return undefined;
    let stream = this.started.get(i);
    if (!stream) {
      const buffer = { highWaterMark: this.bytes, size: (chunk: Uint8Array) => chunk.byteLength };
      stream = this.openers[i]!().pipeThrough(new TransformStream<Uint8Array, Uint8Array>(undefined, undefined, buffer));
      this.started.set(i, stream);
    }
    return stream;
  }
}
