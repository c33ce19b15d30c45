// tar-split JSON lines (Go's encoding of storage.Entry) parsed in bulk. The host copies the
// gunzipped lines into the window; lines of exactly Go's shape are parsed here, their base64
// payloads decoded into the output area, and each becomes an op the host reads as plain memory.
// Any other line (the first, escapes, odd spacing, invalid base64) is handed back as OP_SLOW for
// the host's JSON path, so results match JSON.parse either way. Mirrors src/tar/tarsplit-lines.ts.

/** Decoded payloads of one scan: at most this many bytes (a larger payload goes the slow way). */
export const TS_OUT_SIZE: u32 = 1 << 20;
export const TS_OP_BYTES: u32 = 32;
export const TS_OP_CAPACITY: u32 = 4096;

// Op record: u32 kind @0, u32 a @4, u32 b @8, u32 flags @12, f64 size @16, i32 crc @24, i32 position @28.
export const OP_SEGMENT: u32 = 1; // a: output offset, b: length; flags SEGMENT_NULL: the payload is null
export const SEGMENT_NULL: u32 = 1;
export const OP_FILE: u32 = 2; // a: name offset (window), b: name length, size, crc: output offset of 8 bytes, -1 when null
export const OP_SLOW: u32 = 3; // a, b: the line's window offsets; flags 1: the last line, without a newline

/** Scan flag: the input is complete, so a last line without a newline counts. */
export const TS_FINAL: u32 = 1;
/** Scan flag: only sum the tar length of the lines (`tsTotal`); ops only for slow lines. */
export const TS_LENGTH: u32 = 2;

export const TS_NEED_INPUT: u32 = 0; // every complete line consumed; the rest starts at `tsPos`
export const TS_OUT_FULL: u32 = 1; // read the ops, then scan again
export const TS_OPS_FULL: u32 = 2;

const PARSED: i32 = 0;
const SLOW: i32 = 1;
const NO_ROOM: i32 = 2;

const NL: u8 = 0x0a;
const QUOTE: u8 = 0x22;
const BACKSLASH: u8 = 0x5c;
const COMMA: u8 = 0x2c;
const CLOSE: u8 = 0x7d;

const HEAD = memory.data<u8>([0x7b, 0x22, 0x74, 0x79, 0x70, 0x65, 0x22, 0x3a]); // {"type":
const NAME = memory.data<u8>([0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22]); // "name":"
const SIZE = memory.data<u8>([0x22, 0x73, 0x69, 0x7a, 0x65, 0x22, 0x3a]); // "size":
const PAYLOAD = memory.data<u8>([0x22, 0x70, 0x61, 0x79, 0x6c, 0x6f, 0x61, 0x64, 0x22, 0x3a]); // "payload":
const POSITION = memory.data<u8>([0x22, 0x70, 0x6f, 0x73, 0x69, 0x74, 0x69, 0x6f, 0x6e, 0x22, 0x3a]); // "position":
const NULL = memory.data<u8>([0x6e, 0x75, 0x6c, 0x6c]);

let b64: usize = 0; // 256 entries: the sextet of a base64 character, 0xff for anything else
let out: usize = 0;
let ops: usize = 0;
export let tsPos: u32 = 0;
export let tsOpCount: u32 = 0;
export let tsTotal: f64 = 0;
let first: bool = true;
let outFill: u32 = 0;
let numberEnd: usize = 0;
let position: i32 = 0; // the record's, for `op`

/** Bytes the scanner's tables and areas take. */
export function tarSplitBytes(): usize {
  return 256 + TS_OUT_SIZE + 16 + TS_OP_BYTES * TS_OP_CAPACITY;
}

/** Lays out the output area and op table at `base` (memory must reach `tarSplitBytes` past it). */
export function tarSplitLayout(base: usize): void {
  b64 = base;
  out = b64 + 256;
  ops = out + TS_OUT_SIZE + 16;
  memory.fill(b64, 0xff, 256);
  for (let i: u8 = 0; i < 26; i++) {
    store<u8>(b64 + 0x41 + i, i);
    store<u8>(b64 + 0x61 + i, 26 + i);
  }
  for (let i: u8 = 0; i < 10; i++) store<u8>(b64 + 0x30 + i, 52 + i);
  store<u8>(b64 + 0x2b, 62);
  store<u8>(b64 + 0x2f, 63);
}

export function tarSplitOut(): usize { return out; }
export function tarSplitOps(): usize { return ops; }

/** A new stream: the next line is its first. */
export function tarSplitReset(): void {
  tsPos = 0;
  tsOpCount = 0;
  tsTotal = 0;
  first = true;
}

function matches(p: usize, e: usize, word: usize, n: usize): bool {
  if (p + n > e) return false;
  for (let i: usize = 0; i < n; i++) if (load<u8>(p + i) != load<u8>(word + i)) return false;
  return true;
}

/** The first `c` in [p, e), or 0. Reads up to 15 bytes past `e` (the window has slack). */
function find(p: usize, e: usize, c: u8): usize {
  const needle = i8x16.splat(<i8>c);
  while (p < e) {
    const mask = i8x16.bitmask(i8x16.eq(v128.load(p), needle));
    if (mask != 0) {
      const at = p + <usize>ctz(mask);
      return at < e ? at : 0;
    }
    p += 16;
  }
  return 0;
}

/** Digits at `p` (no sign, no leading zero, at most 15) as a number, or -1; `numberEnd` is where they stop. */
function digits(p: usize, e: usize): f64 {
  let i = p;
  let v: f64 = 0;
  while (i < e) {
    const c = load<u8>(i);
    if (c < 0x30 || c > 0x39) break;
    v = v * 10 + <f64>(c - 0x30);
    i++;
  }
  if (i == p || i - p > 15 || (load<u8>(p) == 0x30 && i - p > 1)) return -1;
  numberEnd = i;
  return v;
}

/** Decoded length of strict padded base64 of `len` characters ending at `end`, or -1. */
function base64Length(start: usize, end: usize): i32 {
  const len = <i32>(end - start);
  if (len % 4 != 0) return -1;
  if (len == 0) return 0;
  const pad = load<u8>(end - 1) == 0x3d ? (load<u8>(end - 2) == 0x3d ? 2 : 1) : 0;
  return (len / 4) * 3 - pad;
}

/** Decodes as tarsplit-lines.ts base64DecodeInto does; false on a character outside the alphabet. */
function base64Decode(start: usize, end: usize, to: usize): bool {
  const full = end - (load<u8>(end - 1) == 0x3d ? 4 : 0);
  let bad: u32 = 0;
  let i = start;
  let o = to;
  for (; i < full; i += 4) {
    const a = <u32>load<u8>(b64 + load<u8>(i));
    const b = <u32>load<u8>(b64 + load<u8>(i + 1));
    const c = <u32>load<u8>(b64 + load<u8>(i + 2));
    const d = <u32>load<u8>(b64 + load<u8>(i + 3));
    bad |= a | b | c | d;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    store<u8>(o, <u8>(v >> 16));
    store<u8>(o + 1, <u8>(v >> 8));
    store<u8>(o + 2, <u8>v);
    o += 3;
  }
  if (i < end) {
    const a = <u32>load<u8>(b64 + load<u8>(i));
    const b = <u32>load<u8>(b64 + load<u8>(i + 1));
    const third = load<u8>(i + 2) == 0x3d;
    const c = third ? 0 : <u32>load<u8>(b64 + load<u8>(i + 2));
    bad |= a | b | c;
    const v = (a << 18) | (b << 12) | (c << 6);
    store<u8>(o, <u8>(v >> 16));
    if (!third) store<u8>(o + 1, <u8>(v >> 8));
  }
  return (bad & 0x80) == 0;
}

function op(kind: u32, a: u32, b: u32, flags: u32, size: f64, crc: i32): void {
  const r = ops + <usize>tsOpCount * TS_OP_BYTES;
  store<u32>(r, kind);
  store<u32>(r + 4, a);
  store<u32>(r + 8, b);
  store<u32>(r + 12, flags);
  store<f64>(r + 16, size);
  store<i32>(r + 24, crc);
  store<i32>(r + 28, position);
  tsOpCount++;
}

/** One line [p, e) of exactly Go's shape: PARSED (its op written, if any), SLOW, or NO_ROOM in the output. */
function parseLine(window: usize, p: usize, e: usize, flags: u32): i32 {
  if (!matches(p, e, HEAD, 8) || p + 10 > e || load<u8>(p + 9) != COMMA) return SLOW;
  const type = <u32>load<u8>(p + 8) - 0x30;
  if (type != 1 && type != 2) return SLOW;
  let at = p + 10;
  let nameStart: usize = 0;
  let nameLen: usize = 0;
  let size: f64 = 0;
  if (type == 1) {
    if (matches(at, e, NAME, 8)) {
      const from = at + 8;
      let i = from;
      for (; i < e; i++) {
        const c = load<u8>(i);
        if (c == QUOTE) break;
        if (c == BACKSLASH || c < 0x20 || c > 0x7e) return SLOW; // escapes and non-ASCII: the JSON path
      }
      if (i >= e || i + 1 >= e || load<u8>(i + 1) != COMMA) return SLOW;
      nameStart = from;
      nameLen = i - from;
      at = i + 2;
    }
    if (matches(at, e, SIZE, 7)) {
      size = digits(at + 7, e);
      if (size < 0 || numberEnd >= e || load<u8>(numberEnd) != COMMA) return SLOW;
      at = numberEnd + 1;
    }
  }
  if (!matches(at, e, PAYLOAD, 10)) return SLOW;
  at += 10;
  let b64Start: usize = 0;
  let b64End: usize = 0;
  let hasPayload = false;
  if (matches(at, e, NULL, 4)) {
    at += 4;
  } else {
    if (at >= e || load<u8>(at) != QUOTE) return SLOW;
    const close = find(at + 1, e, QUOTE);
    if (close == 0 || base64Length(at + 1, close) < 0) return SLOW;
    b64Start = at + 1;
    b64End = close;
    hasPayload = true;
    at = close + 1;
  }
  if (at >= e || load<u8>(at) != COMMA || !matches(at + 1, e, POSITION, 11)) return SLOW;
  at += 12;
  const negative = at < e && load<u8>(at) == 0x2d; // JSON allows a negative position
  if (negative) at++;
  const magnitude = digits(at, e);
  if (magnitude < 0 || magnitude > 2147483647 || numberEnd >= e || load<u8>(numberEnd) != CLOSE || numberEnd + 1 != e) return SLOW;
  position = negative ? -<i32>magnitude : <i32>magnitude;

  const length = flags & TS_LENGTH;
  if (type == 2) {
    const n = hasPayload ? <u32>base64Length(b64Start, b64End) : 0;
    if (n == 0) {
      if (!length) op(OP_SEGMENT, outFill, 0, hasPayload ? 0 : SEGMENT_NULL, 0, 0);
      return PARSED;
    }
    if (length) {
      tsTotal += <f64>n;
      return PARSED;
    }
    if (n > TS_OUT_SIZE - outFill) return outFill == 0 ? SLOW : NO_ROOM;
    if (!base64Decode(b64Start, b64End, out + outFill)) return SLOW;
    op(OP_SEGMENT, outFill, n, 0, 0, 0);
    outFill += n;
    return PARSED;
  }
  if (length) {
    tsTotal += size;
    return PARSED;
  }
  let crc: i32 = -1;
  if (hasPayload) {
    if (base64Length(b64Start, b64End) != 8) return SLOW; // the host's way: such a file fails its check
    if (<u32>8 > TS_OUT_SIZE - outFill) return NO_ROOM;
    if (!base64Decode(b64Start, b64End, out + outFill)) return SLOW;
    crc = <i32>outFill;
    outFill += 8;
  }
  op(OP_FILE, <u32>(nameStart - window), <u32>nameLen, 0, size, crc);
  return PARSED;
}

/**
 * Parses the complete lines of window [tsPos, end) into ops (replacing the last scan's ops and
 * output). Returns TS_NEED_INPUT when no complete line is left (TS_FINAL: none at all).
 */
export function tarSplitScan(window: usize, end: u32, flags: u32): u32 {
  let pos = tsPos;
  tsOpCount = 0;
  outFill = 0;
  while (pos < end) {
    const nl = find(window + pos, window + end, NL);
    let lineEnd: u32;
    let last = false;
    if (nl != 0) {
      lineEnd = <u32>(nl - window);
    } else {
      if (!(flags & TS_FINAL)) break;
      lineEnd = end;
      last = true;
    }
    if (lineEnd == pos) {
      pos = lineEnd + 1;
      continue;
    }
    if (tsOpCount == TS_OP_CAPACITY) {
      tsPos = pos;
      return TS_OPS_FULL;
    }
    const result = first ? SLOW : parseLine(window, window + pos, window + lineEnd, flags);
    if (result == NO_ROOM) {
      tsPos = pos;
      return TS_OUT_FULL;
    }
    first = false;
    if (result == SLOW) op(OP_SLOW, pos, lineEnd, last ? 1 : 0, 0, 0);
    pos = last ? lineEnd : lineEnd + 1;
  }
  tsPos = pos < end ? pos : end;
  return TS_NEED_INPUT;
}

export function setTsPos(pos: u32): void {
  tsPos = pos;
}
