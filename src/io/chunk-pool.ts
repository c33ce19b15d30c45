/**
 * Buffers of one size for output chunks, taken back by the sink that wrote them: a long stream
 * (a saved archive) then reuses a few buffers instead of faulting in fresh memory for every
 * chunk and leaving the old ones to the collector. Only a caller that owns a stream end to end
 * may release its chunks (a tee'd stream's other branch would still read them); chunks never
 * released are simply collected.
 */
export class ChunkPool {
  private readonly free: ArrayBuffer[] = [];
  /** Buffers handed out and not yet back: only these are taken back. */
  private readonly out = new WeakSet<ArrayBuffer>();

  constructor(readonly size: number, private readonly keep: number) {}

  /** A buffer of `size` bytes (contents undefined: the caller fills it). */
  get(): Uint8Array<ArrayBuffer> {
    const buffer = this.free.pop() ?? new ArrayBuffer(this.size);
    this.out.add(buffer);
    return new Uint8Array(buffer);
  }

  /** A handed-out buffer that came back from a transfer (a worker) as a new ArrayBuffer object. */
  adopt(buffer: ArrayBufferLike): void {
    if (buffer instanceof ArrayBuffer && buffer.byteLength === this.size) this.out.add(buffer);
  }

  /** Whether `buffer` is one the pool handed out and has not taken back. */
  owns(buffer: ArrayBufferLike): boolean {
    return buffer instanceof ArrayBuffer && this.out.has(buffer);
  }

  /** The caller is done with every view of `chunk`'s buffer; ignored unless the pool handed it out. */
  release(chunk: Uint8Array): void {
    const buffer = chunk.buffer;
    if (!(buffer instanceof ArrayBuffer) || !this.out.has(buffer)) return;
    this.out.delete(buffer);
    if (buffer.byteLength === this.size && this.free.length < this.keep) this.free.push(buffer);
  }
}

/** Reassembled layer tar chunks (tarsplit-out.ts), released by writeStreamTo when asked. */
export const layerTarChunks = new ChunkPool(1 << 20, 64);

/**
 * Pieces that travel to the codec worker by transfer and come back from it: its client gathers
 * input into them, and a producer may fill one itself and hand it on whole as a stream chunk
 * (node-raw-get.ts reads a body into them), which the client then sends without a copy. So a
 * stream carrying such pieces must not be tee'd: the other branch would find them detached.
 */
export const transferPieces = new ChunkPool(1 << 20, 16);
