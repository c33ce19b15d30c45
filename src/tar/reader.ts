/**
 * Streaming tar reader over the WASM engine. Bytes are read from a ByteSource straight into
 * the engine window; one `scan` walks every entry the window holds; entries are then served
 * from the entry table. Semantics follow Go's archive/tar Reader (what Docker uses).
 *
 * Zero-copy: body chunks from `entry.chunks()` are views of engine memory, valid only until
 * the next pull or the next `next()`. Pass `{ copyChunks: true }` (or use `entry.stream()`)
 * to get chunks you may keep.
 */
import { WharfError } from "../errors.ts";
import { toByteSource, type ByteInput, type ByteSource } from "../io/source.ts";
import {
  engineError, KIND_END, KIND_ERROR, SCAN_CRC, STOP_NEED_DATA, TarEngine, type EngineRecord, type ScanResult,
} from "./engine.ts";
import { buildHeader, type TarHeader } from "./header.ts";

export interface TarReaderOptions {
  /** Make body chunks copies instead of views of engine memory. */
  copyChunks?: boolean;
  /** Keep each entry's raw header bytes (with the previous padding) for `rawBytes()`; tar-split needs it. */
  rawAccounting?: boolean;
  /** Compute the CRC-64/ISO of every body as it passes (`entry.crc64()`). */
  crc?: boolean;
}

export interface TarEntry {
  readonly header: TarHeader;
  /** Stream offset of the entry's first header block (extension headers included). */
  readonly offset: number;
  /** Body bytes that follow the header (0 for header-only types even when `header.size` is not). */
  readonly bodyLength: number;
  /** Body chunks; views of engine memory unless `copyChunks`. Reading once only. */
  chunks(): AsyncIterableIterator<Uint8Array>;
  /** Body as a stream of copied chunks. */
  stream(): ReadableStream<Uint8Array>;
  /**
   * The whole body as one view of engine memory (valid until the next pull) when the reader holds
   * all of it already, else undefined; a small file then costs no async read.
   */
  takeBuffered(): Uint8Array | undefined;
  /** Discards what is left of the body. */
  skip(): Promise<void>;
  /** CRC-64/ISO of the whole body (reads what is left); needs the `crc` option. */
  crc64(): Promise<bigint>;
  /** `crc64()` when no read is needed (the rest of the body and its padding are in the window), else undefined. */
  crc64Sync(): bigint | undefined;
}

/** How the archive ended, as Go's reader accepts it. */
export type TarEnd = "marker" | "one-zero-block" | "eof";

interface BodyState {
  entry: TarEntry;
  name: string;
  remaining: number;
  padding: number;
  crc: bigint;
  crcKnown: boolean;
}

export class TarReader {
  private engine: TarEngine | undefined;
  private readonly source: ByteSource;
  private readonly options: TarReaderOptions;
  private fill = 0;
  private cursor = 0;
  private base = 0; // stream offset of window[0]
  private eof = false;
  private batch: ScanResult | undefined;
  private batchIndex = 0;
  private body: BodyState | undefined;
  /** Raw bytes kept since the last `rawBytes()` (one growing buffer: an entry's padding and header are often in different reads). */
  private raw = new Uint8Array(0);
  private rawLength = 0;
  private endKind: TarEnd | undefined;
  private failed: WharfError | undefined;

  constructor(input: ByteInput, options: TarReaderOptions = {}) {
    this.source = toByteSource(input);
    this.options = options;
  }

  /** How the archive ended; undefined until `next()` resolved null. */
  get end(): TarEnd | undefined {
    return this.endKind;
  }

  /** Stream offset just past what has been consumed. */
  get position(): number {
    return this.base + this.cursor;
  }

  /** Next entry, or null after the end marker. The previous entry's unread body is skipped. */
  async next(): Promise<TarEntry | null> {
    if (this.failed) throw this.failed;
    if (this.endKind) return null;
    try {
      return await this.advance();
    } catch (e) {
      if (e instanceof WharfError) this.failed = e;
      throw e;
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TarEntry> {
    for (let e = await this.next(); e; e = await this.next()) yield e;
  }

  /**
   * Raw bytes consumed since the last call (like tar-split's `RawBytes`): the previous entry's
   * padding, then this entry's header blocks incl. PAX/GNU extension headers and their data; after
   * the end, the end-marker blocks. Copies, kept only with `rawAccounting`.
   */
  rawBytes(): Uint8Array {
    return this.rawView().slice();
  }

  /** `rawBytes()` as a view of the reader's buffer: valid until the reader reads on. */
  rawView(): Uint8Array {
    const bytes = this.raw.subarray(0, this.rawLength);
    this.rawLength = 0;
    return bytes;
  }

  /**
   * After the end: every remaining input byte, in chunks of exactly `maxChunk` bytes (the last
   * shorter), as full reads of that size would give. Views, valid until the next pull.
   */
  async *trailing(maxChunk = 1 << 20): AsyncIterableIterator<Uint8Array> {
    if (!this.endKind) throw new WharfError("INVALID_ARGUMENT", "tar: trailing() before the end of the archive");
    const engine = await this.ready();
    const step = Math.min(maxChunk, engine.window.length);
    while (true) {
      if (this.fill - this.cursor < step) {
        this.compact();
        while (this.fill - this.cursor < step && (await this.refill(engine, engine.window.length))) continue;
      }
      const n = Math.min(step, this.fill - this.cursor);
      if (n === 0) return;
      const chunk = engine.window.subarray(this.cursor, this.cursor + n);
      this.cursor += n;
      yield chunk;
    }
  }

  private async ready(): Promise<TarEngine> {
    this.engine ??= await TarEngine.create();
    return this.engine;
  }

  private async advance(): Promise<TarEntry | null> {
    const engine = await this.ready();
    if (this.body) await this.finishBody(engine);
    while (!this.batch || this.batchIndex >= this.batch.records) {
      this.batch = undefined;
      if (this.cursor === this.fill) this.compact();
      const result = engine.scan(this.cursor, this.fill, this.options.crc ? SCAN_CRC : 0);
      if (result.records > 0) {
        this.batch = result;
        this.batchIndex = 0;
        break;
      }
      if (result.reason !== STOP_NEED_DATA) throw new WharfError("TAR_HEADER", `tar: engine stopped without records at offset ${this.position}`);
      if (this.eof) return this.endOfInput(engine);
      if (this.cursor === 0 && this.fill === engine.window.length) {
        throw new WharfError("TAR_HEADER", `tar: header at offset ${this.position} does not fit the reader window`);
      }
      this.compact();
      await this.refill(engine, engine.window.length - this.fill);
    }
    const rec = engine.record(this.batchIndex++);
    if (rec.kind === KIND_ERROR) throw engineError(rec.error, this.base + rec.header);
    this.keepRaw(engine.window, rec.entryStart, rec.body);
    this.cursor = rec.body;
    if (rec.kind === KIND_END) {
      this.endKind = "marker";
      return null;
    }
    return this.makeEntry(engine, rec);
  }

  /** Input ended at an entry boundary: Go accepts no marker or a single zero block. */
  private endOfInput(engine: TarEngine): null {
    const left = engine.window.subarray(this.cursor, this.fill);
    if (left.length === 0) {
      this.endKind = "eof";
      return null;
    }
    if (left.length === 512 && left.every((b) => b === 0)) {
      this.keepRaw(engine.window, this.cursor, this.fill);
      this.cursor = this.fill;
      this.endKind = "one-zero-block";
      return null;
    }
    throw new WharfError("TAR_TRUNCATED", `tar: archive truncated inside a header at offset ${this.position} (${left.length} bytes left)`);
  }

  private makeEntry(engine: TarEngine, rec: EngineRecord): TarEntry {
    const header = buildHeader(rec, engine.window, this.base);
    if (!Number.isSafeInteger(rec.bodyLength)) throw new WharfError("TAR_HEADER", `tar: size of "${header.name}" is too large`);
    const reader = this;
    let started = false;
    const entry: TarEntry = {
      header,
      offset: this.base + rec.entryStart,
      bodyLength: rec.bodyLength,
      chunks() {
        if (started) throw new WharfError("INVALID_ARGUMENT", `tar: body of "${header.name}" already read`);
        started = true;
        return reader.bodyChunks(entry);
      },
      takeBuffered() {
        if (started) return undefined;
        const view = reader.takeWhole(entry);
        if (view) started = true;
        return view;
      },
      stream() {
        const it = entry.chunks();
        return new ReadableStream<Uint8Array>({
          async pull(controller) {
            const r = await it.next();
            if (r.done) controller.close();
            else controller.enqueue(reader.options.copyChunks ? r.value : r.value.slice());
          },
          async cancel() {
            await it.return?.();
          },
        });
      },
      async skip() {
        if (reader.body?.entry === entry) await reader.finishBody(engine);
      },
      async crc64() {
        if (!reader.options.crc) throw new WharfError("INVALID_ARGUMENT", "tar: crc64() needs the crc option");
        if (reader.body?.entry !== entry) throw new WharfError("INVALID_ARGUMENT", `tar: "${header.name}" is no longer current`);
        const state = reader.body;
        await reader.finishBody(engine);
        return state.crc;
      },
      crc64Sync() {
        const state = reader.body;
        if (!reader.options.crc || state?.entry !== entry || !reader.finishBodyNow(state)) return undefined;
        return state.crc;
      },
    };
    this.body = {
      entry,
      name: header.name,
      remaining: rec.bodyLength,
      padding: rec.padding,
      crc: rec.crc ?? 0n,
      crcKnown: rec.crc !== undefined,
    };
    return entry;
  }

  private async *bodyChunks(entry: TarEntry): AsyncIterableIterator<Uint8Array> {
    const engine = await this.ready();
    const state = this.body;
    if (!state || state.entry !== entry) throw new WharfError("INVALID_ARGUMENT", `tar: body of "${entry.header.name}" was skipped; read it before next()`);
    while (state.remaining > 0) {
      const view = await this.takeBody(engine, state, true);
      if (!view) return;
      yield this.options.copyChunks ? view.slice() : view;
    }
  }

  /** The current body whole, when the window holds all of it (see TarEntry.takeBuffered). */
  private takeWhole(entry: TarEntry): Uint8Array | undefined {
    const state = this.body;
    if (!state || state.entry !== entry || state.remaining > this.fill - this.cursor) return undefined;
    const start = this.cursor;
    const n = state.remaining;
    if (this.options.crc && !state.crcKnown) state.crc = this.engine!.crcWindow(state.crc, start, n);
    this.cursor += n;
    state.remaining = 0;
    return this.engine!.window.subarray(start, start + n);
  }

  /** Next piece of the current body as a window view; advances the cursor. */
  private async takeBody(engine: TarEngine, state: BodyState, wantView: boolean): Promise<Uint8Array | undefined> {
    if (this.body !== state || state.remaining === 0) return undefined;
    if (this.cursor === this.fill) {
      this.compact();
      if (!(await this.refill(engine, engine.window.length))) {
        throw new WharfError("TAR_TRUNCATED", `tar: archive truncated in the body of "${state.name}" at offset ${this.position} (${state.remaining} bytes missing)`);
      }
    }
    const n = Math.min(state.remaining, this.fill - this.cursor);
    const start = this.cursor;
    if (this.options.crc && !state.crcKnown) state.crc = engine.crcWindow(state.crc, start, n);
    this.cursor += n;
    state.remaining -= n;
    return wantView ? engine.window.subarray(start, start + n) : undefined;
  }

  /** `finishBody` when the window holds the rest of the body and its padding; false (nothing done) otherwise. */
  private finishBodyNow(state: BodyState): boolean {
    if (state.remaining + state.padding > this.fill - this.cursor) return false;
    if (state.remaining > 0 && !this.takeWhole(state.entry)) return false;
    this.keepRaw(this.engine!.window, this.cursor, this.cursor + state.padding);
    this.cursor += state.padding;
    state.crcKnown = true;
    this.body = undefined;
    return true;
  }

  /** Consumes the rest of the body and its padding (the padding is raw bytes of the next entry). */
  private async finishBody(engine: TarEngine): Promise<void> {
    const state = this.body;
    if (!state) return;
    while (state.remaining > 0) {
      if (this.cursor === this.fill && this.source.skip && !this.options.crc) {
        // Nothing of the body is buffered: a source that can seek passes over the rest unread.
        this.compact();
        if (this.fill === 0) {
          const want = state.remaining;
          const n = await this.source.skip(want);
          this.base += n;
          state.remaining -= n;
          if (n < want) {
            throw new WharfError("TAR_TRUNCATED", `tar: archive truncated in the body of "${state.name}" at offset ${this.position} (${state.remaining} bytes missing)`);
          }
          break;
        }
      }
      await this.takeBody(engine, state, false);
    }
    let pad = state.padding;
    while (pad > 0) {
      if (this.cursor === this.fill) {
        this.compact();
        if (!(await this.refill(engine, engine.window.length))) {
          throw new WharfError("TAR_TRUNCATED", `tar: archive truncated in the padding of "${state.name}" at offset ${this.position}`);
        }
      }
      const n = Math.min(pad, this.fill - this.cursor);
      this.keepRaw(engine.window, this.cursor, this.cursor + n);
      this.cursor += n;
      pad -= n;
    }
    state.crcKnown = true;
    this.body = undefined;
  }

  private keepRaw(window: Uint8Array, from: number, to: number): void {
    if (!this.options.rawAccounting || to <= from) return;
    const end = this.rawLength + (to - from);
    if (end > this.raw.length) {
      const bigger = new Uint8Array(Math.max(end, this.raw.length * 2, 4096));
      bigger.set(this.raw.subarray(0, this.rawLength));
      this.raw = bigger;
    }
    this.raw.set(window.subarray(from, to), this.rawLength);
    this.rawLength = end;
  }

  /** Moves unconsumed bytes to the window start; only between batches. */
  private compact(): void {
    if (this.cursor === 0 || (this.batch && this.batchIndex < this.batch.records)) return;
    const window = this.engine!.window;
    if (this.fill > this.cursor) window.copyWithin(0, this.cursor, this.fill);
    this.base += this.cursor;
    this.fill -= this.cursor;
    this.cursor = 0;
  }

  /** One read of at most `max` bytes into the window; false at the end of input. */
  private async refill(engine: TarEngine, max: number): Promise<boolean> {
    if (this.eof) return false;
    const room = Math.min(max, engine.window.length - this.fill);
    if (room === 0) return true;
    const n = await this.source.read(engine.window.subarray(this.fill, this.fill + room));
    if (n === 0) {
      this.eof = true;
      return false;
    }
    this.fill += n;
    return true;
  }
}
