/**
 * TypeScript face of the WASM tar engine. The engine owns a window of its linear memory;
 * sources read straight into `window` (no extra copy), one `scan` call walks every entry the
 * window holds, and the results are read from the entry table as plain memory.
 */
import { WharfError } from "../errors.ts";
import type { ByteSource } from "../io/source.ts";
import { instantiateTarEngine, type TarEngineExports } from "../wasm/tar-engine.ts";

// Entry record layout; mirrors assembly/layout.ts.
const ENTRY_BYTES = 128;
const E_KIND = 0, E_ENTRY_START = 4, E_HEADER = 8, E_BODY = 12, E_SIZE = 16, E_MODE = 24, E_UID = 32, E_GID = 40;
const E_MTIME = 48, E_DEVMAJOR = 56, E_DEVMINOR = 64, E_BODY_LEN = 72, E_CRC = 80, E_TYPEFLAG = 88, E_FORMAT = 89;
const E_PAD = 90, E_FLAGS = 92, E_LONG_NAME = 96, E_LONG_LINK = 104, E_PAX_FIRST = 112, E_PAX_COUNT = 116;
const E_NAME_LEN = 120, E_GNAME_LEN = 124;
const PAX_BYTES = 16;

export const KIND_ENTRY = 1;
export const KIND_END = 2;
export const KIND_ERROR = 3;

export const STOP_NEED_DATA = 0;
export const STOP_BODY = 1;
export const STOP_END = 2;
export const STOP_ERROR = 3;
export const STOP_TABLE_FULL = 4;

export const SCAN_CRC = 1;
/** Walk only: checksums, typeflags, sizes, extension headers; other fields unparsed (records hold 0). */
export const SCAN_WALK = 2;

export const F_CRC = 1, F_LONG_NAME = 2, F_LONG_LINK = 4, F_PAX = 8;

export const ERR_CHECKSUM = 1, ERR_HEADER = 2, ERR_PAX = 3, ERR_TOO_LONG = 4, ERR_TOO_MANY_PAX = 5;

/** Header format from the block's magic. */
export type BlockFormat = "v7" | "ustar" | "gnu" | "star";
const FORMATS: BlockFormat[] = ["v7", "v7", "ustar", "gnu", "star"];

/** One record of the entry table, decoded. Offsets are window offsets. */
export interface EngineRecord {
  kind: number;
  entryStart: number;
  header: number;
  body: number;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  devmajor: number;
  devminor: number;
  bodyLength: number;
  /** CRC-64/ISO of the whole body when it lay in the window and SCAN_CRC was asked for. */
  crc: bigint | undefined;
  typeflag: number;
  format: BlockFormat;
  padding: number;
  flags: number;
  longName: [offset: number, length: number] | undefined;
  longLink: [offset: number, length: number] | undefined;
  pax: Array<[keyOffset: number, keyLength: number, valueOffset: number, valueLength: number]>;
  nameLength: number;
  linknameLength: number;
  prefixLength: number;
  unameLength: number;
  gnameLength: number;
  error: number;
}

export interface ScanResult {
  records: number;
  stop: number;
  reason: number;
}

export class TarEngine {
  /** The input window: fill it from a source, then `scan` it. */
  readonly window: Uint8Array;
  private readonly exports: TarEngineExports;
  private readonly memory: DataView;
  private readonly windowPtr: number;
  private readonly tablePtr: number;
  private readonly paxPtr: number;
  private readonly crcPtr: number;

  private constructor(exports: TarEngineExports) {
    this.exports = exports;
    const buffer = exports.memory.buffer;
    this.windowPtr = exports.windowPtr();
    this.window = new Uint8Array(buffer, this.windowPtr, exports.windowSize());
    this.memory = new DataView(buffer);
    this.tablePtr = exports.entryTablePtr();
    this.paxPtr = exports.paxTablePtr();
    this.crcPtr = exports.crcStatePtr();
  }

  /**
   * `shared`: back the window with shared memory when the platform allows (faster file reads on
   * Bun). Only for callers that never expose window views: many APIs refuse shared views.
   */
  static async create(options: { shared?: boolean } = {}): Promise<TarEngine> {
    return new TarEngine(await instantiateTarEngine(options));
  }

  /** Scans window offsets [pos, end) in one crossing; read the records with `record(i)`. */
  scan(pos: number, end: number, flags: number): ScanResult {
    const records = this.exports.scan(pos, end, flags);
    return { records, stop: this.exports.lastStop(), reason: this.exports.lastStopReason() };
  }

  /** Kind of record `i` without decoding the rest (fast path for counting scans). */
  kind(i: number): number {
    return this.memory.getUint32(this.tablePtr + i * ENTRY_BYTES + E_KIND, true);
  }

  /** Header size of record `i` (after a PAX override). */
  size(i: number): number {
    return int64(this.memory, this.tablePtr + i * ENTRY_BYTES + E_SIZE);
  }

  /** Stream offset (window offset + `base`) and error code of an error record. */
  error(i: number, base: number): WharfError {
    const r = this.tablePtr + i * ENTRY_BYTES;
    return engineError(this.memory.getUint8(r + E_GNAME_LEN + 1), base + this.memory.getUint32(r + E_HEADER, true));
  }

  record(i: number): EngineRecord {
    const m = this.memory;
    const r = this.tablePtr + i * ENTRY_BYTES;
    const flags = m.getUint32(r + E_FLAGS, true);
    const paxFirst = m.getUint32(r + E_PAX_FIRST, true);
    const paxCount = m.getUint32(r + E_PAX_COUNT, true);
    const pax: EngineRecord["pax"] = [];
    for (let k = 0; k < paxCount; k++) {
      const p = this.paxPtr + (paxFirst + k) * PAX_BYTES;
      pax.push([
        m.getUint32(p, true) - this.windowPtr,
        m.getUint32(p + 4, true),
        m.getUint32(p + 8, true) - this.windowPtr,
        m.getUint32(p + 12, true),
      ]);
    }
    return {
      kind: m.getUint32(r + E_KIND, true),
      entryStart: m.getUint32(r + E_ENTRY_START, true),
      header: m.getUint32(r + E_HEADER, true),
      body: m.getUint32(r + E_BODY, true),
      size: int64(m, r + E_SIZE),
      mode: int64(m, r + E_MODE),
      uid: int64(m, r + E_UID),
      gid: int64(m, r + E_GID),
      mtime: int64(m, r + E_MTIME),
      devmajor: int64(m, r + E_DEVMAJOR),
      devminor: int64(m, r + E_DEVMINOR),
      bodyLength: int64(m, r + E_BODY_LEN),
      crc: flags & F_CRC ? m.getBigUint64(r + E_CRC, true) : undefined,
      typeflag: m.getUint8(r + E_TYPEFLAG),
      format: FORMATS[m.getUint8(r + E_FORMAT)] ?? "v7",
      padding: m.getUint16(r + E_PAD, true),
      flags,
      longName: flags & F_LONG_NAME ? [m.getUint32(r + E_LONG_NAME, true), m.getUint32(r + E_LONG_NAME + 4, true)] : undefined,
      longLink: flags & F_LONG_LINK ? [m.getUint32(r + E_LONG_LINK, true), m.getUint32(r + E_LONG_LINK + 4, true)] : undefined,
      pax,
      nameLength: m.getUint8(r + E_NAME_LEN),
      linknameLength: m.getUint8(r + E_NAME_LEN + 1),
      prefixLength: m.getUint8(r + E_NAME_LEN + 2),
      unameLength: m.getUint8(r + E_NAME_LEN + 3),
      gnameLength: m.getUint8(r + E_GNAME_LEN),
      error: m.getUint8(r + E_GNAME_LEN + 1),
    };
  }

  /** Continues CRC-64/ISO `crc` (0n to start) over window bytes [offset, offset+length). */
  /** Starts a CRC held in engine memory; `crcAdd` continues it, `crcIs` compares it (no BigInt per call). */
  crcStart(): void {
    this.memory.setUint32(this.crcPtr, 0, true);
    this.memory.setUint32(this.crcPtr + 4, 0, true);
  }

  crcAdd(offset: number, length: number): void {
    this.exports.crc64(this.windowPtr + offset, length);
  }

  /** Whether the CRC so far equals `expected` (8 big-endian bytes, as tar-split stores it; at `at` when given). */
  crcIs(expected: Uint8Array | null, at?: number): boolean {
    if (!expected || (at === undefined ? expected.length !== 8 : expected.length < at + 8)) return false;
    const from = at ?? 0;
    for (let i = 0; i < 8; i++) if (this.memory.getUint8(this.crcPtr + 7 - i) !== expected[from + i]) return false;
    return true;
  }

  /** The CRC held in engine memory, to carry it elsewhere; `crcSet` puts one back. */
  crcGet(): bigint {
    return this.memory.getBigUint64(this.crcPtr, true);
  }

  crcSet(crc: bigint): void {
    this.memory.setBigUint64(this.crcPtr, crc, true);
  }

  crcWindow(crc: bigint, offset: number, length: number): bigint {
    this.memory.setBigUint64(this.crcPtr, crc, true);
    this.exports.crc64(this.windowPtr + offset, length);
    return this.memory.getBigUint64(this.crcPtr, true);
  }
}

/** i64 field as a JS number; tar sizes and ids beyond 2^53 are rejected by the reader. */
function int64(m: DataView, at: number): number {
  const lo = m.getUint32(at, true);
  const hi = m.getInt32(at + 4, true);
  return hi * 0x1_0000_0000 + lo;
}

/** The typed error for an engine error code at stream offset `at`. */
export function engineError(code: number, at: number): WharfError {
  switch (code) {
    case ERR_CHECKSUM:
      return new WharfError("TAR_CHECKSUM", `tar: header checksum mismatch at offset ${at}`);
    case ERR_PAX:
      return new WharfError("TAR_PAX", `tar: malformed PAX extended header at offset ${at}`);
    case ERR_TOO_LONG:
      return new WharfError("TAR_HEADER", `tar: extension header data over 1 MiB at offset ${at}`);
    case ERR_TOO_MANY_PAX:
      return new WharfError("TAR_PAX", `tar: too many PAX records at offset ${at}`);
    default:
      return new WharfError("TAR_HEADER", `tar: invalid header at offset ${at}`);
  }
}

export interface TarScanSummary {
  /** Entries (extension headers folded into the entry they describe; a global PAX header counts). */
  entries: number;
  /** Sum of the entries' header sizes (what naive graph drivers report as a layer's size). */
  sizeSum: number;
  /** Stream offset just past the end marker (or the end of input). */
  length: number;
}

/**
 * Walks a whole archive without surfacing entries: verifies every header checksum and the
 * structure (sizes, extension headers, end marker), skips every body. Fields it does not need
 * (mode, ids, times, names) are not parsed, so it does not catch garbage in them.
 * One engine crossing per window; bytes are read straight into the engine window.
 */
export async function scanTar(source: ByteSource): Promise<TarScanSummary> {
  const engine = await TarEngine.create({ shared: true }); // no view of the window leaves this function
  const window = engine.window;
  let fill = 0, cursor = 0, base = 0, eof = false;
  let entries = 0, sizeSum = 0;
  const read = async (into: Uint8Array): Promise<number> => {
    const n = eof ? 0 : await source.read(into);
    if (n === 0) eof = true;
    return n;
  };
  while (true) {
    const result = engine.scan(cursor, fill, SCAN_WALK);
    for (let i = 0; i < result.records; i++) {
      const kind = engine.kind(i);
      if (kind === KIND_ERROR) throw engine.error(i, base);
      if (kind === KIND_ENTRY) {
        entries++;
        sizeSum += engine.size(i);
      }
    }
    if (result.reason === STOP_END) return { entries, sizeSum, length: base + result.stop };
    if (result.reason === STOP_BODY) {
      // The last entry's body runs past the window: read past the rest of it.
      const rec = engine.record(result.records - 1);
      let skip = rec.bodyLength + rec.padding - (fill - rec.body);
      base += fill;
      cursor = fill = 0;
      while (skip > 0) {
        const n = await read(window.subarray(0, Math.min(skip, window.length)));
        if (n === 0) throw new WharfError("TAR_TRUNCATED", `tar: archive truncated in a body before offset ${base + skip}`);
        skip -= n;
        base += n;
      }
      continue;
    }
    cursor = result.stop;
    if (result.reason === STOP_TABLE_FULL) continue;
    // Need more bytes: keep the unscanned tail, refill behind it.
    if (eof) {
      const left = fill - cursor;
      if (left === 0 || (left === 512 && window.subarray(cursor, fill).every((b) => b === 0))) return { entries, sizeSum, length: base + fill };
      throw new WharfError("TAR_TRUNCATED", `tar: archive truncated inside a header at offset ${base + cursor}`);
    }
    if (cursor === 0 && fill === window.length) throw new WharfError("TAR_HEADER", `tar: header at offset ${base} does not fit the window`);
    window.copyWithin(0, cursor, fill);
    base += cursor;
    fill -= cursor;
    cursor = 0;
    fill += await read(window.subarray(fill));
  }
}
