/**
 * Test-only tar builder: writes header blocks field by field so tests can make every odd case
 * (GNU long names, PAX records, base-256 numbers, signed checksums, garbage). Not the
 * production writer.
 */
import { concatBytes } from "../../src/io/bytes.ts";
const enc = new TextEncoder();

export type Magic = "ustar" | "gnu" | "v7";

export interface BlockSpec {
  name?: string | Uint8Array;
  mode?: number;
  uid?: number | Uint8Array; // Uint8Array: raw 8-byte field (e.g. base-256)
  gid?: number;
  size?: number | Uint8Array; // Uint8Array: raw 12-byte field
  mtime?: number;
  typeflag?: string;
  linkname?: string | Uint8Array;
  magic?: Magic;
  uname?: string;
  gname?: string;
  devmajor?: number;
  devminor?: number;
  prefix?: string;
  /** Compute the checksum over signed bytes (old Sun tar style). */
  signedChecksum?: boolean;
  /** Store this checksum instead of the right one. */
  checksum?: number;
}

function bytesOf(v: string | Uint8Array): Uint8Array {
  return typeof v === "string" ? enc.encode(v) : v;
}

function octal(n: number, width: number): Uint8Array {
  return enc.encode(n.toString(8).padStart(width - 1, "0") + "\0");
}

/** Base-256 field of `width` bytes (two's complement for negatives). */
export function base256(n: bigint, width: number): Uint8Array {
  const out = new Uint8Array(width);
  let v = BigInt.asUintN(8 * width, n);
  for (let i = width - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  out[0] = n < 0n ? out[0]! | 0xc0 : (out[0]! & 0x7f) | 0x80;
  return out;
}

export function headerBlock(spec: BlockSpec): Uint8Array {
  const b = new Uint8Array(512);
  const put = (at: number, v: Uint8Array, max: number): void => b.set(v.subarray(0, max), at);
  put(0, bytesOf(spec.name ?? ""), 100);
  put(100, octal(spec.mode ?? 0o644, 8), 8);
  put(108, spec.uid instanceof Uint8Array ? spec.uid : octal(spec.uid ?? 0, 8), 8);
  put(116, octal(spec.gid ?? 0, 8), 8);
  put(124, spec.size instanceof Uint8Array ? spec.size : octal(spec.size ?? 0, 12), 12);
  put(136, octal(spec.mtime ?? 1700000000, 12), 12);
  b[156] = (spec.typeflag ?? "0").charCodeAt(0);
  put(157, bytesOf(spec.linkname ?? ""), 100);
  const magic = spec.magic ?? "ustar";
  if (magic === "ustar") put(257, enc.encode("ustar\x0000"), 8);
  if (magic === "gnu") put(257, enc.encode("ustar  \x00"), 8);
  if (magic !== "v7") {
    put(265, enc.encode(spec.uname ?? ""), 32);
    put(297, enc.encode(spec.gname ?? ""), 32);
    put(329, octal(spec.devmajor ?? 0, 8), 8);
    put(337, octal(spec.devminor ?? 0, 8), 8);
  }
  if (spec.prefix) put(345, enc.encode(spec.prefix), 155);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += spec.signedChecksum && x > 127 ? x - 256 : x;
  put(148, enc.encode((spec.checksum ?? sum).toString(8).padStart(6, "0") + "\0 "), 8);
  return b;
}

export function padded(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(data.length / 512) * 512);
  out.set(data);
  return out;
}

/** A PAX record "%d %s=%s\n" with a correct self-inclusive length. */
export function paxRecord(key: string, value: string | Uint8Array): Uint8Array {
  const body = concat([enc.encode(` ${key}=`), bytesOf(value), enc.encode("\n")]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len++;
  return concat([enc.encode(String(len)), body]);
}

export class TarBuilder {
  private readonly parts: Uint8Array[] = [];

  raw(bytes: Uint8Array): this {
    this.parts.push(bytes);
    return this;
  }

  /** A header block and its padded body. */
  entry(spec: BlockSpec, body: Uint8Array = new Uint8Array(0)): this {
    this.parts.push(headerBlock({ size: body.length, ...spec }));
    if (body.length > 0) this.parts.push(padded(body));
    return this;
  }

  file(name: string, body: string | Uint8Array, spec: BlockSpec = {}): this {
    return this.entry({ name, ...spec }, bytesOf(body));
  }

  /** A PAX extended header ('x', or 'g' for global) with the given records. */
  pax(records: Array<[string, string | Uint8Array]>, typeflag: "x" | "g" = "x"): this {
    const data = concat(records.map(([k, v]) => paxRecord(k, v)));
    return this.entry({ name: typeflag === "x" ? "PaxHeaders.0/entry" : "pax_global_header", typeflag }, data);
  }

  /** A GNU long name ('L') or long link ('K') header with NUL-terminated data. */
  gnuLong(kind: "L" | "K", value: string): this {
    return this.entry({ name: "././@LongLink", typeflag: kind, magic: "gnu" }, concat([enc.encode(value), new Uint8Array(1)]));
  }

  end(blocks = 2): this {
    this.parts.push(new Uint8Array(512 * blocks));
    return this;
  }

  bytes(): Uint8Array {
    return concat(this.parts);
  }
}

export function concat(parts: Uint8Array[]): Uint8Array {
  return concatBytes(parts);
}

/** Deterministic pseudo-random bytes (xorshift32), for generated content. */
export function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Serves `data` in chunks whose sizes cycle through `sizes`. */
export function chunkedStream(data: Uint8Array, sizes: number[]): ReadableStream<Uint8Array> {
  let at = 0;
  let k = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= data.length) {
        controller.close();
        return;
      }
      const n = sizes[k++ % sizes.length]!;
      controller.enqueue(data.slice(at, at + n));
      at += n;
    },
  });
}
