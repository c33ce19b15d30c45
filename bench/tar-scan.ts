/**
 * Scanning a 100 000-entry tar from disk: the WASM engine (`scanTar`, reading straight into the
 * engine window) against a plain TypeScript scanner reading the same file the same way (same
 * runtime file API, same 2 MiB reads) and doing the same checks: checksum (signed and unsigned),
 * octal size, typeflag, end marker, bodies skipped. Run under tsx, deno (-A) and bun.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { getRuntime } from "../src/runtime/index.ts";
import { scanTar } from "../src/tar/engine.ts";
import type { ByteSource } from "../src/io/source.ts";

const ENTRIES = 100_000;
const DATA = new URL("./.data/tar-scan-100k.tar", import.meta.url).pathname;
const TARGET = 1.3;
const READ_SIZE = 2 << 20;

/** Deterministic tar: ustar headers, bodies of 0–1500 bytes (a typical rootfs has many small files). */
function generate(): void {
  mkdirSync(new URL("./.data/", import.meta.url).pathname, { recursive: true });
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  let x = 0x9e3779b9;
  for (let i = 0; i < ENTRIES; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    const size = i % 10 === 0 ? 0 : x % 1500;
    const h = new Uint8Array(512);
    h.set(enc.encode(`usr/share/pkg${i % 97}/file-${i}.dat`), 0);
    h.set(enc.encode("0000644\0"), 100);
    h.set(enc.encode("0000000\0"), 108);
    h.set(enc.encode("0000000\0"), 116);
    h.set(enc.encode(size.toString(8).padStart(11, "0") + "\0"), 124);
    h.set(enc.encode("14530000000\0"), 136);
    h[156] = i % 10 === 0 ? 0x35 : 0x30;
    h.set(enc.encode("ustar\x0000root"), 257);
    h.set(enc.encode("root"), 297);
    h.fill(0x20, 148, 156);
    const sum = h.reduce((n, b) => n + b, 0);
    h.set(enc.encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
    parts.push(h);
    if (size > 0) {
      const body = new Uint8Array(Math.ceil(size / 512) * 512);
      body.fill(i & 0xff, 0, size);
      parts.push(body);
    }
  }
  parts.push(new Uint8Array(1024));
  writeFileSync(DATA, concat(parts));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

interface Summary { entries: number; sizeSum: number }

function parseOctal(b: Uint8Array, at: number, len: number): number {
  let i = at;
  const end = at + len;
  while (i < end && (b[i] === 0x20 || b[i] === 0)) i++;
  let n = 0;
  for (; i < end; i++) {
    const c = b[i]!;
    if (c === 0 || c === 0x20) break;
    if (c < 0x30 || c > 0x37) throw new Error(`bad octal at ${at}`);
    n = n * 8 + (c - 0x30);
  }
  return n;
}

/** The TypeScript baseline: same file API, same read size, same validation. */
async function scanTs(source: ByteSource): Promise<Summary> {
  const buf = new Uint8Array(READ_SIZE);
  let fill = 0, pos = 0, skip = 0, entries = 0, sizeSum = 0;
  for (;;) {
    if (fill - pos < 1024) {
      buf.copyWithin(0, pos, fill);
      fill -= pos; pos = 0;
      const n = await source.read(buf.subarray(fill));
      if (n === 0 && fill < 512) break;
      fill += n;
    }
    if (skip > 0) {
      const s = Math.min(skip, fill - pos);
      pos += s; skip -= s;
      continue;
    }
    let zero = true;
    for (let i = pos; i < pos + 512; i++) if (buf[i] !== 0) { zero = false; break; }
    if (zero) break;
    let unsigned = 0, signed = 0;
    for (let i = pos; i < pos + 512; i++) {
      const c = buf[i]!;
      unsigned += c;
      signed += (c << 24) >> 24;
    }
    for (let i = pos + 148; i < pos + 156; i++) {
      const c = buf[i]!;
      unsigned += 0x20 - c;
      signed += 0x20 - ((c << 24) >> 24);
    }
    const chk = parseOctal(buf, pos + 148, 8);
    if (chk !== unsigned && chk !== signed) throw new Error(`checksum at ${pos}`);
    const size = parseOctal(buf, pos + 124, 12);
    const t = buf[pos + 156]!;
    entries++;
    sizeSum += size;
    const headerOnly = t >= 0x31 && t <= 0x36;
    pos += 512;
    if (!headerOnly) skip = Math.ceil(size / 512) * 512;
  }
  return { entries, sizeSum };
}

if (!existsSync(DATA)) generate();
const runtime = await getRuntime();
const files = runtime.files!;

async function timed(scan: (s: ByteSource) => Promise<Summary>): Promise<{ seconds: number; summary: Summary }> {
  const handle = await files.open(DATA, "r");
  const start = performance.now();
  try {
    const summary = await scan(handle);
    return { seconds: (performance.now() - start) / 1000, summary };
  } finally {
    await handle.close();
  }
}

const best = async (scan: (s: ByteSource) => Promise<Summary>) => {
  const runs = [];
  for (let i = 0; i < 5; i++) runs.push(await timed(scan));
  return { summary: runs[0]!.summary, seconds: Math.min(...runs.map((r) => r.seconds)) };
};

await timed(scanTar); // warm-up: compile the module, fault the file into the page cache
await timed(scanTs);
const wasm = await best(scanTar);
const ts = await best(scanTs);
if (wasm.summary.entries !== ENTRIES || ts.summary.entries !== ENTRIES || wasm.summary.sizeSum !== ts.summary.sizeSum) {
  throw new Error(`scanners disagree: wasm ${JSON.stringify(wasm.summary)} ts ${JSON.stringify(ts.summary)}`);
}
const ratio = ts.seconds / wasm.seconds;
console.log(
  `tar-scan (${runtime.name}, ${ENTRIES} entries): wasm ${wasm.seconds.toFixed(3)}s, ts ${ts.seconds.toFixed(3)}s, ratio ${ratio.toFixed(2)}x (target >= ${TARGET}x) ${ratio >= TARGET ? "PASS" : "FAIL"}`,
);
