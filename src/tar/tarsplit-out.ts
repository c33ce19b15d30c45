/**
 * Where tar-split reassembly (tarsplit-fast.ts) builds its output chunks and checks each file's
 * CRC-64: in the engine window, checked inline and copied out when the chunk leaves; or in fresh
 * chunks that a worker checks (src/worker/crc-offload.ts) while the main thread reads on, each
 * chunk leaving, in order, once its files pass. Errors are raised in stream order either way.
 */
import type { TarEngine } from "./engine.ts";
import type { ChunkChecks, CrcOffload } from "../worker/crc-offload.ts";
import { NOT_READ, RANGE_END, RANGE_START, WHOLE_FILE } from "../worker/protocol.ts";
import { layerTarChunks } from "../io/chunk-pool.ts";
import { crcFailed, endsAt, longer, release, shorter, type SizedSource } from "./tarsplit-common.ts";

export interface ChunkOut {
  /** The chunk being built: write at `fill`, at most `cap` bytes in all. */
  readonly buf: Uint8Array;
  readonly cap: number;
  fill: number;
  /** Bytes [at, at + size) of `buf` are a whole file that must match `expected`. */
  file(at: number, size: number, expected: Uint8Array | null, label: string): void;
  /** Sends the chunk built so far on its way (and yields what is ready to leave). */
  take(): AsyncGenerator<Uint8Array>;
  /** Bytes that need no check, after everything taken before. */
  emit(bytes: Uint8Array): AsyncGenerator<Uint8Array>;
  /** A file too large for a chunk, read from `source` and checked as it goes. */
  stream(source: SizedSource, size: number, expected: Uint8Array | null, label: string): AsyncGenerator<Uint8Array>;
  /** Everything still on its way, in order. */
  drain(): AsyncGenerator<Uint8Array>;
  /** The stream stopped (done or not): earlier failures win over `error`, if any. */
  close(error?: unknown): Promise<void>;
}

/** Chunks built in the engine window, each file checked where it lands. */
export class WindowOut implements ChunkOut {
  readonly buf: Uint8Array;
  readonly cap: number;
  fill = 0;

  constructor(private readonly engine: TarEngine) {
    this.buf = engine.window;
    this.cap = engine.window.length;
  }

  file(at: number, size: number, expected: Uint8Array | null, label: string): void {
    this.engine.crcStart();
    this.engine.crcAdd(at, size);
    if (!this.engine.crcIs(expected)) throw crcFailed(label);
  }

  async *take(): AsyncGenerator<Uint8Array> {
    if (this.fill === 0) return;
    const chunk = this.buf.slice(0, this.fill);
    this.fill = 0;
    yield chunk;
  }

  async *emit(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
    yield bytes;
  }

  /** Through the two window halves: a read fills one while the other is checked and copied out. */
  async *stream(source: SizedSource, size: number, expected: Uint8Array | null, label: string): AsyncGenerator<Uint8Array> {
    const { engine, buf: window } = this;
    const half = window.length >> 1;
    let left = size;
    let slot = 0;
    let pending: Promise<number> | undefined = source.read(window.subarray(0, Math.min(left, half)));
    engine.crcStart();
    try {
      while (left > 0) {
        const n = await pending!;
        pending = undefined;
        if (n === 0) throw shorter(label, left);
        const at = slot * half;
        engine.crcAdd(at, n);
        left -= n;
        if (left > 0) {
          slot ^= 1;
          pending = source.read(window.subarray(slot * half, slot * half + Math.min(left, half)));
        }
        yield window.slice(at, at + n);
      }
      if (!(await endsAt(source, size, window.subarray(0, 1)))) throw longer(label);
      if (!engine.crcIs(expected)) throw crcFailed(label);
    } finally {
      if (pending) await pending.catch(() => 0);
      await release(source);
    }
  }

  async *drain(): AsyncGenerator<Uint8Array> {}

  async close(error?: unknown): Promise<void> {
    if (error !== undefined) throw error;
  }
}

/** Chunks in flight on the worker, at most this many at once. */
const IN_FLIGHT = 8;
const CHUNK = layerTarChunks.size;
const NO_CRC = new Uint8Array(8);

/**
 * Fresh chunks, filled and checked on a worker while the next ones are built. With `dir`, small
 * files are read there by the worker too (`fileByName`), and the main thread only parses.
 */
export class WorkerOut implements ChunkOut {
  buf: Uint8Array = layerTarChunks.get();
  readonly cap = CHUNK;
  fill = 0;
  private readonly streamID: number;
  private checks: ChunkChecks = emptyChecks();
  private readonly pending: Array<Promise<Uint8Array>> = [];

  constructor(private readonly offload: CrcOffload, readonly dir?: string) {
    this.streamID = offload.openStream();
  }

  file(at: number, size: number, expected: Uint8Array | null, label: string): void {
    this.addRange(at, size, RANGE_START | RANGE_END, expected, label, NOT_READ, 0);
  }

  /** Bytes [at, at + size) are left for the worker to fill with the file `label` of `dir`. */
  fileByName(at: number, size: number, expected: Uint8Array | null, label: string): void {
    this.addRange(at, size, RANGE_START | RANGE_END, expected, label, WHOLE_FILE, 0);
  }

  /**
   * A file too large for a chunk, left for the worker to read from `dir` a chunk at a time
   * (the main thread never touches its bytes). Call with the chunk built so far taken.
   */
  async *streamByName(size: number, expected: Uint8Array | null, label: string): AsyncGenerator<Uint8Array> {
    let flags = RANGE_START;
    for (let position = 0; position < size;) {
      const n = Math.min(CHUNK, size - position);
      // A pool buffer even for the last piece: the room after it lets the worker see the end.
      const piece = layerTarChunks.get().subarray(0, n);
      const end = position + n === size;
      this.addRange(0, n, flags | (end ? RANGE_END : 0), expected, label, position, size - position - n);
      flags = 0;
      position += n;
      yield* this.send(piece);
    }
  }

  async *take(): AsyncGenerator<Uint8Array> {
    if (this.fill === 0) return;
    const chunk = this.buf.subarray(0, this.fill);
    this.buf = layerTarChunks.get();
    this.fill = 0;
    yield* this.send(chunk);
  }

  async *emit(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
    yield* this.queue(Promise.resolve(bytes));
  }

  async *stream(source: SizedSource, size: number, expected: Uint8Array | null, label: string): AsyncGenerator<Uint8Array> {
    try {
      let left = size;
      let flags = RANGE_START;
      while (left > 0) {
        const piece = left >= CHUNK ? layerTarChunks.get() : new Uint8Array(left);
        for (let filled = 0; filled < piece.length;) {
          const n = await source.read(piece.subarray(filled));
          if (n === 0) throw shorter(label, left - filled);
          filled += n;
        }
        left -= piece.length;
        this.addRange(0, piece.length, flags | (left === 0 ? RANGE_END : 0), expected, label, NOT_READ, 0);
        flags = 0;
        yield* this.send(piece);
      }
      if (!(await endsAt(source, size, new Uint8Array(1)))) throw longer(label);
    } finally {
      await release(source);
    }
  }

  async *drain(): AsyncGenerator<Uint8Array> {
    while (this.pending.length > 0) yield await this.oldest();
  }

  async close(error?: unknown): Promise<void> {
    this.offload.endStream(this.streamID);
    // A chunk already on its way failing comes first in the stream: its error wins.
    for (const chunk of this.pending.splice(0)) await chunk;
    if (error !== undefined) throw error;
  }

  private addRange(at: number, size: number, flags: number, expected: Uint8Array | null, label: string, read: number, after: number): void {
    const c = this.checks;
    c.ranges.push(at, size, flags);
    c.labels.push(label);
    c.reads.push(read);
    c.after.push(after);
    if (!(flags & RANGE_END)) return;
    const valid = expected !== null && expected.length === 8;
    if (!valid && c.invalid < 0) c.invalid = c.labels.length - 1;
    if (c.expected.length < (c.ends + 1) * 8) {
      const grown = new Uint8Array(c.expected.length * 2);
      grown.set(c.expected);
      c.expected = grown;
    }
    c.expected.set(valid ? expected : NO_CRC, c.ends * 8);
    c.ends++;
  }

  private async *send(chunk: Uint8Array): AsyncGenerator<Uint8Array> {
    const checks = this.checks;
    this.checks = emptyChecks();
    if (checks.ranges.length === 0) {
      yield* this.queue(Promise.resolve(chunk));
      return;
    }
    // The buffer comes back from the worker as a new ArrayBuffer: still the pool's.
    yield* this.queue(this.offload.check(this.streamID, chunk, checks, this.dir).then((back) => (layerTarChunks.adopt(back.buffer), back)));
  }

  private async *queue(chunk: Promise<Uint8Array>): AsyncGenerator<Uint8Array> {
    chunk.catch(() => {}); // raised when its turn comes
    this.pending.push(chunk);
    while (this.pending.length > IN_FLIGHT) yield await this.oldest();
  }

  /** The oldest chunk on its way; when it fails, the ones after it no longer matter. */
  private async oldest(): Promise<Uint8Array> {
    try {
      return await this.pending.shift()!;
    } catch (e) {
      this.pending.length = 0;
      throw e;
    }
  }
}

function emptyChecks(): ChunkChecks {
  return { ranges: [], expected: new Uint8Array(8 * 256), ends: 0, labels: [], reads: [], after: [], invalid: -1 };
}
