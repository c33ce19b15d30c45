/**
 * Gathers small chunks into pieces of one size before they are sent on, where every send is a
 * hop to another thread (zlib's, a worker's); a chunk of a piece's size or more, met between
 * pieces, is sent as it is.
 */
export class PieceGatherer {
  private piece: Uint8Array | undefined;
  private length = 0;

  /** `send(bytes, gathered)`: `gathered` when `bytes` is a piece from `newPiece`, not the caller's chunk. */
  constructor(
    private readonly size: number,
    private readonly newPiece: () => Uint8Array,
    private readonly send: (bytes: Uint8Array, gathered: boolean) => Promise<void>,
  ) {}

  async write(chunk: Uint8Array): Promise<void> {
    if (this.length === 0 && chunk.length >= this.size) return this.send(chunk, false);
    for (let at = 0; at < chunk.length;) {
      this.piece ??= this.newPiece();
      const n = Math.min(chunk.length - at, this.size - this.length);
      this.piece.set(chunk.subarray(at, at + n), this.length);
      this.length += n;
      at += n;
      if (this.length === this.size) {
        const full = this.piece;
        this.piece = undefined;
        this.length = 0;
        await this.send(full, true);
      }
    }
  }

  /** Sends the filled part of the last piece (a view of it, `gathered`), if any. */
  async flush(): Promise<void> {
    const rest = this.takeRest();
    if (rest) await this.send(rest, true);
  }

  /** The filled part of the last piece (a view of it), if any; the gatherer starts afresh. */
  takeRest(): Uint8Array | undefined {
    const rest = this.length > 0 ? this.piece?.subarray(0, this.length) : undefined;
    this.piece = undefined;
    this.length = 0;
    return rest;
  }
}
