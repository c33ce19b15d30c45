/**
 * tar-split JSON lines read as bytes. Lines shaped exactly as Go writes them (see encodeRecord)
 * are parsed in place, payloads left as base64 ranges the caller decodes where it wants them;
 * any other line goes through `decodeRecord` (JSON.parse), so results match it either way.
 */
import { decodeRecord, recordTarLength, TAR_SPLIT_FILE, TAR_SPLIT_SEGMENT, type TarSplitRecord } from "./tarsplit-json.ts";

/** A line's record: payload either decoded (`payload`) or a base64 range of `src` (`b64Start` ≥ 0). */
export interface LineRecord {
  type: number;
  name: string | undefined;
  nameRaw: Uint8Array | undefined;
  size: number;
  payload: Uint8Array | null;
  src: Uint8Array;
  b64Start: number;
  b64End: number;
  /** The name is ASCII (its bytes are its char codes). */
  ascii: boolean;
  position: number;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_VALUE = new Int16Array(256).fill(-1);
for (let i = 0; i < 64; i++) B64_VALUE[B64.charCodeAt(i)] = i;

const Q = 0x22, SLASH = 0x5c, COMMA = 0x2c, CLOSE = 0x7d;

/** Bytes of `text` (ASCII) for matching. */
function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}
const HEAD = ascii(`{"type":`);
const NAME = ascii(`"name":"`);
const SIZE = ascii(`"size":`);
const PAYLOAD = ascii(`"payload":`);
const POSITION = ascii(`"position":`);
const NULL = ascii("null");

function matches(src: Uint8Array, at: number, word: Uint8Array): boolean {
  if (at + word.length > src.length) return false;
  for (let i = 0; i < word.length; i++) if (src[at + i] !== word[i]) return false;
  return true;
}

/** Length of a strict padded base64 text's decoding, or -1 when not strict base64. */
export function base64Length(src: Uint8Array, start: number, end: number): number {
  const len = end - start;
  if (len % 4 !== 0) return -1;
  if (len === 0) return 0;
  const pad = src[end - 1] === 0x3d ? (src[end - 2] === 0x3d ? 2 : 1) : 0;
  return (len / 4) * 3 - pad;
}

/**
 * Decodes strict padded base64 `src[start, end)` into `out` at `at`; returns the byte count, or -1
 * for anything else (the caller then falls back to the lenient decoder). `out` must have room.
 */
export function base64DecodeInto(src: Uint8Array, start: number, end: number, out: Uint8Array, at: number): number {
  const n = base64Length(src, start, end);
  if (n <= 0) return n;
  const full = end - (src[end - 1] === 0x3d ? 4 : 0);
  let o = at;
  let bad = 0;
  let i = start;
  for (; i < full; i += 4) {
    const a = B64_VALUE[src[i]!]!, b = B64_VALUE[src[i + 1]!]!, c = B64_VALUE[src[i + 2]!]!, d = B64_VALUE[src[i + 3]!]!;
    bad |= a | b | c | d; // any -1 sets the sign bit
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o] = v >> 16;
    out[o + 1] = v >> 8;
    out[o + 2] = v;
    o += 3;
  }
  if (i < end) {
    const a = B64_VALUE[src[i]!]!, b = B64_VALUE[src[i + 1]!]!;
    const third = src[i + 2] === 0x3d;
    const c = third ? 0 : B64_VALUE[src[i + 2]!]!;
    bad |= a | b | c;
    const v = (a << 18) | (b << 12) | (c << 6);
    out[o++] = v >> 16;
    if (!third) out[o++] = v >> 8;
  }
  return bad < 0 ? -1 : o - at;
}

/** Digits at `at` as a safe integer (no sign, no leading zero), or -1; `end` receives the stop. */
function digits(src: Uint8Array, at: number, stop: { at: number }): number {
  let i = at;
  let v = 0;
  while (i < src.length && src[i]! >= 0x30 && src[i]! <= 0x39) v = v * 10 + src[i++]! - 0x30;
  if (i === at || i - at > 15 || (src[at] === 0x30 && i - at > 1)) return -1;
  stop.at = i;
  return v;
}

/**
 * Splits gunzipped tar-split bytes into lines and parses them into one reused LineRecord.
 * Push chunks, then call `next()` until it returns false; `finish()` after the last chunk.
 */
export class TarSplitLines {
  readonly rec: LineRecord = { type: 0, name: undefined, nameRaw: undefined, size: 0, payload: null, src: new Uint8Array(0), b64Start: -1, b64End: -1, ascii: true, position: -1 };
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private end = 0;
  private ended = false;
  private first = true;
  private readonly stop = { at: 0 };
  private readonly decoder = new TextDecoder("utf-8", { ignoreBOM: true });

  push(chunk: Uint8Array): void {
    const rest = this.end - this.pos;
    if (rest === 0) {
      this.buf = chunk;
    } else {
      // A line runs across chunks: join its start with the new chunk.
      const joined = new Uint8Array(rest + chunk.length);
      joined.set(this.buf.subarray(this.pos, this.end));
      joined.set(chunk, rest);
      this.buf = joined;
    }
    this.pos = 0;
    this.end = this.buf.length;
  }

  finish(): void {
    this.ended = true;
  }

  /** Parses the next complete non-empty line into `rec`; false when more input is needed (or at the end). */
  next(): boolean {
    for (;;) {
      if (this.pos >= this.end) return false;
      const nl = this.buf.indexOf(0x0a, this.pos);
      let lineEnd: number;
      if (nl >= 0 && nl < this.end) {
        lineEnd = nl;
      } else {
        if (!this.ended) return false;
        lineEnd = this.end; // the last line, without a newline
      }
      const start = this.pos;
      this.pos = lineEnd + 1;
      if (lineEnd === start) continue;
      const last = lineEnd === this.end;
      const first = this.first;
      this.first = false;
      const line = this.buf.subarray(start, lineEnd);
      if (!first && parseFast(line, this.rec, this.stop)) return true;
      const text = this.text(line, first);
      if (text.length === 0 || (last && text.trim().length === 0)) continue;
      this.fromRecord(decodeRecord(text));
      return true;
    }
  }

  /** The tar length of every line, without decoding payloads (recordTarLength on odd lines). */
  lengthOf(): number {
    let total = 0;
    for (;;) {
      if (this.pos >= this.end) return total;
      const nl = this.buf.indexOf(0x0a, this.pos);
      const lineEnd = nl >= 0 && nl < this.end ? nl : this.ended ? this.end : -1;
      if (lineEnd < 0) return total;
      const start = this.pos;
      this.pos = lineEnd + 1;
      if (lineEnd === start) continue;
      const first = this.first;
      this.first = false;
      const line = this.buf.subarray(start, lineEnd);
      if (!first && parseFast(line, this.rec, this.stop)) {
        const rec = this.rec;
        total += rec.type === TAR_SPLIT_FILE ? rec.size : rec.b64Start >= 0 ? base64Length(line, rec.b64Start, rec.b64End) : 0;
      } else {
        const text = this.text(line, first);
        if (text.length === 0 || (lineEnd === this.end && text.trim().length === 0)) continue;
        total += recordTarLength(text);
      }
    }
  }

  /** A line as text, as the whole-stream decoding would give it (a BOM dropped only at the start). */
  private text(line: Uint8Array, first: boolean): string {
    return first ? new TextDecoder().decode(line) : this.decoder.decode(line);
  }

  private fromRecord(r: TarSplitRecord): void {
    recordInto(this.rec, r);
  }

}

/** A record from the JSON path into a LineRecord (its payload decoded). */
export function recordInto(rec: LineRecord, r: TarSplitRecord): void {
  rec.type = r.type;
  rec.name = r.name;
  rec.nameRaw = r.nameRaw;
  rec.size = r.size ?? 0;
  rec.payload = r.payload;
  rec.b64Start = rec.b64End = -1;
  rec.ascii = false;
  rec.position = r.position;
}

/** Parses a line of exactly Go's shape into `rec`; false for any other line. */
function parseFast(src: Uint8Array, rec: LineRecord, stop: { at: number }): boolean {
  if (!matches(src, 0, HEAD) || src[9] !== COMMA) return false;
  const type = src[8]! - 0x30;
  if (type !== TAR_SPLIT_FILE && type !== TAR_SPLIT_SEGMENT) return false;
  let at = 10;
  rec.name = undefined;
  rec.ascii = true;
  rec.size = 0;
  if (type === TAR_SPLIT_FILE) {
    if (matches(src, at, NAME)) {
      const from = at + NAME.length;
      let i = from;
      for (; i < src.length; i++) {
        const c = src[i]!;
        if (c === Q) break;
        if (c === SLASH || c < 0x20 || c > 0x7e) return false; // escapes and non-ASCII: the JSON path
      }
      if (i === src.length || src[i + 1] !== COMMA) return false;
      rec.name = String.fromCharCode.apply(null, src.subarray(from, i) as unknown as number[]);
      at = i + 2;
    }
    if (matches(src, at, SIZE)) {
      const size = digits(src, at + SIZE.length, stop);
      if (size < 0 || src[stop.at] !== COMMA) return false;
      rec.size = size;
      at = stop.at + 1;
    }
  }
  if (!matches(src, at, PAYLOAD)) return false;
  at += PAYLOAD.length;
  if (matches(src, at, NULL)) {
    rec.b64Start = rec.b64End = -1;
    at += NULL.length;
  } else {
    if (src[at] !== Q) return false;
    const close = src.indexOf(Q, at + 1);
    if (close < 0 || base64Length(src, at + 1, close) < 0) return false;
    rec.b64Start = at + 1;
    rec.b64End = close;
    at = close + 1;
  }
  if (src[at] !== COMMA || !matches(src, at + 1, POSITION)) return false;
  at += 1 + POSITION.length;
  const negative = src[at] === 0x2d; // JSON allows a negative position
  const position = digits(src, negative ? at + 1 : at, stop);
  if (position < 0 || src[stop.at] !== CLOSE || stop.at + 1 !== src.length) return false;
  rec.position = negative ? -position : position;
  rec.type = type;
  rec.nameRaw = undefined;
  rec.payload = null;
  rec.src = src;
  return true;
}

/** Decodes a record's payload (null when it has none), for callers that want a Uint8Array. */
export function payloadOf(rec: LineRecord): Uint8Array | null {
  if (rec.b64Start < 0) return rec.payload;
  const n = base64Length(rec.src, rec.b64Start, rec.b64End);
  const out = new Uint8Array(n);
  return base64DecodeInto(rec.src, rec.b64Start, rec.b64End, out, 0) === n ? out : lenientPayload(rec);
}

/**
 * The payload as the JSON path decodes it: for base64 the strict decoder refused (escapes,
 * whitespace, stray bits), which atob may still accept or rejects with the usual error.
 */
export function lenientPayload(rec: LineRecord): Uint8Array | null {
  return decodeRecord(new TextDecoder("utf-8", { ignoreBOM: true }).decode(rec.src)).payload;
}
