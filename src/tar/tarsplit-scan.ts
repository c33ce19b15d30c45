/**
 * tar-split JSON lines parsed by the WASM engine (assembly/tarsplit.ts), many lines per call.
 * Lines of exactly Go's shape are parsed and their payloads decoded in the engine; any other
 * line comes back to the JSON path here (`decodeRecord`), as does a line longer than the
 * engine's window, so the records are those of `JSON.parse` either way. Lines are read as
 * Go's decoder reads the stream: blank lines are skipped, a BOM is dropped only at the start,
 * and a last line of only whitespace is nothing.
 */
import { instantiateTarEngine, type TarEngineExports } from "../wasm/tar-engine.ts";
import { decodeRecord, recordTarLength, TAR_SPLIT_FILE, TAR_SPLIT_SEGMENT, type TarSplitRecord } from "./tarsplit-json.ts";

// Mirrors assembly/tarsplit.ts.
const OP_BYTES = 32;
const OP_SEGMENT = 1, OP_FILE = 2, SEGMENT_NULL = 1;
const TS_FINAL = 1, TS_LENGTH = 2;
const TS_NEED_INPUT = 0;

/** Engines kept for reuse; more than one reassembly (and a length pass) may run at once. */
const IDLE_ENGINES = 4;
const idleEngines: ScannerExports[] = [];

interface ScannerExports extends TarEngineExports {
  tarSplitInit(): void;
  tarSplitReset(): void;
  tarSplitOut(): number;
  tarSplitOps(): number;
  tarSplitScan(end: number, flags: number): number;
  tarSplitPos(): number;
  tarSplitSetPos(pos: number): void;
  tarSplitOpCount(): number;
  tarSplitTotal(): number;
}

/** One record, reused from call to call: payload views last until the scanner's next call. */
export interface LineRecord {
  type: number;
  name: string | undefined;
  nameRaw: Uint8Array | undefined;
  size: number;
  /** Segment: its bytes. File: 8-byte big-endian CRC-64/ISO, or null. */
  payload: Uint8Array | null;
  /** The name is ASCII (its bytes are its char codes). */
  ascii: boolean;
  position: number;
}

export class TarSplitScanner {
  readonly rec: LineRecord = { type: 0, name: undefined, nameRaw: undefined, size: 0, payload: null, ascii: true, position: -1 };
  private readonly window: Uint8Array;
  private readonly memory: Uint8Array;
  private readonly ops: Int32Array;
  private readonly opSizes: Float64Array;
  private readonly outPtr: number;
  private readonly opsPtr: number;
  /** Bytes of input in the window. */
  private fill = 0;
  /** Input not yet in the window: the chunks, and how far into the first. */
  private readonly queue: Uint8Array[] = [];
  private queueAt = 0;
  private ended = false;
  private finalScanned = false;
  private status = TS_NEED_INPUT;
  private opIndex = 0;
  private opCount = 0;
  private firstLine = true;
  /** The start of a line longer than the window, while its end is awaited. */
  private longLine: Uint8Array[] | undefined;
  /** A long line's text, once whole. */
  private pendingText: string | undefined;
  private readonly decoder = new TextDecoder("utf-8", { ignoreBOM: true });

  private released = false;

  private constructor(private readonly engine: ScannerExports) {
    engine.tarSplitReset();
    const buffer = engine.memory.buffer;
    this.memory = new Uint8Array(buffer);
    this.window = new Uint8Array(buffer, engine.windowPtr(), engine.windowSize());
    this.outPtr = engine.tarSplitOut();
    this.opsPtr = engine.tarSplitOps();
    this.ops = new Int32Array(buffer);
    this.opSizes = new Float64Array(buffer);
  }

  /** A scanner on an idle engine, or a new one (engines are kept for reuse: each is a few MiB). */
  static async create(): Promise<TarSplitScanner> {
    let engine = idleEngines.pop();
    if (!engine) {
      engine = (await instantiateTarEngine()) as ScannerExports;
      engine.tarSplitInit(); // grows memory: views only after
    }
    return new TarSplitScanner(engine);
  }

  /** Hands the engine back for another scanner; this one must not be used again. */
  release(): void {
    if (this.released) return;
    this.released = true;
    if (idleEngines.length < IDLE_ENGINES) idleEngines.push(this.engine);
  }

  push(chunk: Uint8Array): void {
    if (chunk.length > 0) this.queue.push(chunk);
  }

  finish(): void {
    this.ended = true;
  }

  /** The next record into `rec` (payload views last until the next call); false when more input is needed, or at the end. */
  next(): boolean {
    for (;;) {
      if (this.pendingText !== undefined) {
        const text = this.pendingText;
        this.pendingText = undefined;
        this.fromRecord(decodeRecord(text));
        return true;
      }
      while (this.opIndex < this.opCount) {
        if (this.load(this.opIndex++)) return true;
      }
      if (!this.advance(0)) return false;
    }
  }

  /**
   * The tar length of the lines read since the last call (a file's size, a segment's payload
   * length, counted without decoding); don't mix with `next`.
   */
  lengthOf(): number {
    let total = 0;
    for (;;) {
      if (this.pendingText !== undefined) {
        total += recordTarLength(this.pendingText);
        this.pendingText = undefined;
      }
      while (this.opIndex < this.opCount) {
        const r = (this.opsPtr + this.opIndex++ * OP_BYTES) >> 2;
        const text = this.lineText(this.window.subarray(this.ops[r + 1]!, this.ops[r + 2]!), this.ops[r + 3] === 1);
        if (text !== undefined) total += recordTarLength(text);
      }
      const before = this.engine.tarSplitTotal();
      const more = this.advance(TS_LENGTH);
      total += this.engine.tarSplitTotal() - before;
      if (!more) return total;
    }
  }

  /** Op `i` into `rec`; false for a line that holds no record (blank). */
  private load(i: number): boolean {
    const r = (this.opsPtr + i * OP_BYTES) >> 2;
    const kind = this.ops[r]!, a = this.ops[r + 1]!, b = this.ops[r + 2]!;
    if (kind !== OP_SEGMENT && kind !== OP_FILE) {
      const text = this.lineText(this.window.subarray(a, b), this.ops[r + 3] === 1);
      if (text === undefined) return false;
      this.fromRecord(decodeRecord(text));
      return true;
    }
    this.firstLine = false;
    const rec = this.rec;
    rec.nameRaw = undefined;
    rec.ascii = true;
    rec.position = this.ops[r + 7]!;
    if (kind === OP_SEGMENT) {
      rec.type = TAR_SPLIT_SEGMENT;
      rec.name = undefined;
      rec.size = 0;
      rec.payload = this.ops[r + 3] === SEGMENT_NULL ? null : this.memory.subarray(this.outPtr + a, this.outPtr + a + b);
      return true;
    }
    rec.type = TAR_SPLIT_FILE;
    rec.name = b === 0 ? undefined : String.fromCharCode.apply(null, this.window.subarray(a, a + b) as unknown as number[]);
    rec.size = this.opSizes[(r + 4) >> 1]!;
    const crc = this.ops[r + 6]!;
    rec.payload = crc < 0 ? null : this.memory.subarray(this.outPtr + crc, this.outPtr + crc + 8);
    return true;
  }

  /** Scans on: false when nothing more can be read until more input comes (or at the end). */
  private advance(flags: number): boolean {
    if (this.longLine) return this.finishLongLine();
    if (this.status === TS_NEED_INPUT && !this.refill()) {
      if (!this.ended || this.finalScanned) return false;
      this.finalScanned = true;
      flags |= TS_FINAL;
    }
    this.status = this.engine.tarSplitScan(this.fill, flags);
    this.opIndex = 0;
    this.opCount = this.engine.tarSplitOpCount();
    if (this.status === TS_NEED_INPUT && this.opCount === 0 && this.engine.tarSplitPos() === 0 && this.fill === this.window.length) {
      // A line longer than the window: gathered here and parsed as JSON.
      this.longLine = [this.window.slice(0, this.fill)];
      this.fill = 0;
      return this.finishLongLine();
    }
    return true;
  }

  /** Moves the unread input to the window's start and tops the window up; false when nothing was added. */
  private refill(): boolean {
    const pos = this.engine.tarSplitPos();
    if (pos > 0) {
      this.window.copyWithin(0, pos, this.fill);
      this.fill -= pos;
      this.engine.tarSplitSetPos(0);
    }
    let added = false;
    while (this.queue.length > 0 && this.fill < this.window.length) {
      const chunk = this.queue[0]!;
      const n = Math.min(chunk.length - this.queueAt, this.window.length - this.fill);
      this.window.set(chunk.subarray(this.queueAt, this.queueAt + n), this.fill);
      this.fill += n;
      this.queueAt += n;
      added = true;
      if (this.queueAt === chunk.length) {
        this.queue.shift();
        this.queueAt = 0;
      }
    }
    return added;
  }

  /** Gathers the long line up to its newline (or the end of input); false while its end has not come. */
  private finishLongLine(): boolean {
    const parts = this.longLine!;
    let last = false;
    for (;;) {
      const chunk = this.queue[0];
      if (!chunk) {
        if (!this.ended) return false;
        last = true;
        break;
      }
      const nl = chunk.indexOf(0x0a, this.queueAt);
      parts.push(chunk.slice(this.queueAt, nl < 0 ? chunk.length : nl));
      this.queueAt = nl < 0 ? chunk.length : nl + 1;
      if (this.queueAt === chunk.length) {
        this.queue.shift();
        this.queueAt = 0;
      }
      if (nl >= 0) break;
    }
    this.longLine = undefined;
    const line = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      line.set(p, at);
      at += p.length;
    }
    this.pendingText = this.lineText(line, last);
    return true;
  }

  /** A line as text (a BOM dropped only at the start); undefined for a line that holds nothing. */
  private lineText(line: Uint8Array, last: boolean): string | undefined {
    const first = this.firstLine;
    this.firstLine = false;
    const text = first ? new TextDecoder().decode(line) : this.decoder.decode(line);
    return text.length === 0 || (last && text.trim().length === 0) ? undefined : text;
  }

  private fromRecord(r: TarSplitRecord): void {
    const rec = this.rec;
    rec.type = r.type;
    rec.name = r.name;
    rec.nameRaw = r.nameRaw;
    rec.size = r.size ?? 0;
    rec.payload = r.payload;
    rec.ascii = false;
    rec.position = r.position;
  }

}
