/**
 * Decoded tar-split JSON kept between a layer's length and its stream. `docker save` needs a
 * layer's tar length (its header comes first) and then its bytes: both come from the same
 * tar-split, and decoding it twice cost a second gunzip of up to tens of MB. The length pass
 * keeps what it decoded, within a byte budget; the layer's stream takes it (once) instead of
 * reading the file again. Oldest entries go first when the budget is exceeded.
 */
export class DecodedTarSplits {
  private readonly entries = new Map<string, { chunks: Promise<Uint8Array[] | undefined>; bytes: number }>();
  private used = 0;

  constructor(private readonly budget: number) {}

  /**
   * `length` over the chunks of `decoded`, which are kept for `take(chainID)` when they fit the
   * budget. Errors are `length`'s (nothing is kept then).
   */
  measure(chainID: string, decoded: ReadableStream<Uint8Array>, length: (chunks: AsyncIterable<Uint8Array>) => Promise<number>): Promise<number> {
    const kept: Uint8Array[] = [];
    let bytes = 0;
    let keep = true;
    const budget = this.budget;
    async function* recorded(): AsyncGenerator<Uint8Array> {
      const reader = decoded.getReader();
      try {
        for (let r = await reader.read(); !r.done; r = await reader.read()) {
          if (keep && bytes + r.value.byteLength > budget) {
            keep = false;
            kept.length = 0;
          }
          if (keep) {
            kept.push(r.value);
            bytes += r.value.byteLength;
          }
          yield r.value;
        }
      } finally {
        reader.releaseLock();
      }
    }
    const result = length(recorded());
    const entry = { chunks: result.then(() => (keep ? kept : undefined), () => undefined), bytes: 0 };
    this.drop(chainID);
    this.entries.set(chainID, entry);
    void entry.chunks.then((chunks) => {
      if (this.entries.get(chainID) !== entry) return; // taken or dropped meanwhile
      if (!chunks) {
        this.entries.delete(chainID);
        return;
      }
      entry.bytes = bytes;
      this.used += bytes;
      for (const [id, other] of this.entries) {
        if (this.used <= this.budget) break;
        if (other !== entry) this.drop(id);
      }
    });
    return result;
  }

  /** The decoded chunks of a layer measured before (waiting for a pass still running), once; undefined when none were kept. */
  async take(chainID: string): Promise<Uint8Array[] | undefined> {
    const entry = this.entries.get(chainID);
    if (!entry) return undefined;
    this.drop(chainID);
    return entry.chunks;
  }

  /** Forgets a layer's entry (the layer is gone). */
  drop(chainID: string): void {
    const entry = this.entries.get(chainID);
    if (!entry) return;
    this.entries.delete(chainID);
    this.used -= entry.bytes;
  }
}
