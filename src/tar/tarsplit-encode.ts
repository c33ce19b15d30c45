/**
 * tar-split records written as JSON lines straight into bytes: the text encodeRecord describes
 * (Go's encoding/json field order and escaping), without building a string per record and
 * encoding it again. A layer of many small files writes tens of megabytes of these.
 */
import { goQuote } from "../format/go-json.ts";
import type { TarSplitRecord } from "./tarsplit-json.ts";

const ASCII = new TextEncoder();
const B64 = ASCII.encode("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
/** Two base64 digits per 12 bits, as the two bytes of a little-endian uint16: half the lookups. */
const B64_PAIRS = new Uint16Array(4096);
for (let i = 0; i < 4096; i++) B64_PAIRS[i] = B64[i >> 6]! | (B64[i & 63]! << 8);
const PAD = 0x3d; // =
const QUOTE = 0x22;
const TYPE = ASCII.encode('{"type":');
const NAME = ASCII.encode(',"name":');
const NAME_RAW = ASCII.encode(',"name_raw":"');
const SIZE = ASCII.encode(',"size":');
const PAYLOAD = ASCII.encode(',"payload":"');
const PAYLOAD_NULL = ASCII.encode(',"payload":null');
const POSITION = ASCII.encode(',"position":');
/** Names goQuote returns as they are: printable ASCII but for `"`, `&`, `<`, `>` and `\`. */
const PLAIN_NAME = /^[\x20\x21\x23-\x25\x27-\x3b\x3d\x3f-\x5b\x5d-\x7e]*$/;

export class RecordLineWriter {
  private buf: Uint8Array;
  /** Bytes written since the last `take`. */
  length = 0;

  private view: DataView;

  constructor(capacity = 1 << 17) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  write(rec: TarSplitRecord): void {
    // A name's JSON is at most 6 bytes per UTF-16 unit (\u00XX, or 3 of UTF-8 for most).
    this.reserve(96 + (rec.name?.length ?? 0) * 6 + base64Length(rec.nameRaw?.length ?? 0) + base64Length(rec.payload?.length ?? 0));
    this.bytes(TYPE);
    this.number(rec.type);
    if (rec.name) {
      this.bytes(NAME);
      if (PLAIN_NAME.test(rec.name)) this.plain(rec.name);
      else this.length += ASCII.encodeInto(goQuote(rec.name), this.buf.subarray(this.length)).written;
    }
    if (rec.nameRaw && rec.nameRaw.length > 0) {
      this.bytes(NAME_RAW);
      this.base64(rec.nameRaw);
      this.buf[this.length++] = QUOTE;
    }
    if (rec.size) {
      this.bytes(SIZE);
      this.number(rec.size);
    }
    if (rec.payload === null) {
      this.bytes(PAYLOAD_NULL);
    } else {
      this.bytes(PAYLOAD);
      this.base64(rec.payload);
      this.buf[this.length++] = QUOTE;
    }
    this.bytes(POSITION);
    this.number(rec.position);
    this.buf[this.length++] = 0x7d; // }
    this.buf[this.length++] = 0x0a; // \n
  }

  /** The lines written so far (a copy); the writer starts empty again. */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.length);
    this.length = 0;
    return out;
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    bigger.set(this.buf.subarray(0, this.length));
    this.buf = bigger;
    this.view = new DataView(bigger.buffer);
  }

  private bytes(b: Uint8Array): void {
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** A quoted name with nothing to escape: its chars are its JSON bytes (no string built). */
  private plain(text: string): void {
    const out = this.buf;
    let o = this.length;
    out[o++] = QUOTE;
    for (let i = 0; i < text.length; i++) out[o++] = text.charCodeAt(i);
    out[o++] = QUOTE;
    this.length = o;
  }

  /** A non-negative integer's decimal digits (sizes and positions), without making a string. */
  private number(n: number): void {
    let digits = 1;
    for (let v = n; v >= 10; v = Math.floor(v / 10)) digits++;
    const out = this.buf;
    const end = this.length + digits;
    let v = n;
    for (let o = end - 1; o >= this.length; o--) {
      out[o] = 0x30 + (v % 10);
      v = Math.floor(v / 10);
    }
    this.length = end;
  }

  /** Standard base64 with padding (Go's encoding/json for []byte). */
  private base64(src: Uint8Array): void {
    const out = this.buf;
    const view = this.view;
    let o = this.length;
    let i = 0;
    for (; i + 3 <= src.length; i += 3) {
      const n = (src[i]! << 16) | (src[i + 1]! << 8) | src[i + 2]!;
      view.setUint32(o, B64_PAIRS[n >> 12]! | (B64_PAIRS[n & 4095]! << 16), true);
      o += 4;
    }
    const rest = src.length - i;
    if (rest > 0) {
      const n = (src[i]! << 16) | (rest === 2 ? src[i + 1]! << 8 : 0);
      out[o] = B64[n >> 18]!;
      out[o + 1] = B64[(n >> 12) & 63]!;
      out[o + 2] = rest === 2 ? B64[(n >> 6) & 63]! : PAD;
      out[o + 3] = PAD;
      o += 4;
    }
    this.length = o;
  }
}

function base64Length(n: number): number {
  return Math.ceil(n / 3) * 4;
}
