/**
 * gunzip of a ~100 MB layer: wharf's decode stream (native port when the runtime has node:zlib)
 * against `gzip -d` of the same file, measured in the same run. Run under tsx, deno and bun.
 */
import { existsSync, mkdirSync, writeFileSync, openSync, readSync, closeSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { loadNativeCodecs } from "../src/runtime/node-compat.ts";
import { gunzipStream } from "../src/compress/gzip-decode.ts";
import { writeTar, type TarEntry } from "../src/tar/writer.ts";

const DIR = new URL("./.data/", import.meta.url).pathname;
const LAYER = `${DIR}layer-100MB.tar`;
const GZ = `${LAYER}.gz`;

/** A tar of files that compress like a typical layer (~2.5-3x): text, code-like tokens and binary noise. */
async function makeLayer(): Promise<void> {
  mkdirSync(DIR, { recursive: true });
  let x = 0xdecafbad;
  const next = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x >>> 0; };
  const words = ["static", "int", "return", "include", "define", "usr", "lib", "x86_64", "linux", "gnu", "so", "0x", "{", "}", ";", "\n", "  "];
  const enc = new TextEncoder();
  function* entries(): Generator<TarEntry> {
    let total = 0;
    for (let i = 0; total < 100_000_000; i++) {
      const size = 4096 + (next() % 400_000);
      const body = new Uint8Array(size);
      const binary = next() % 3 === 0;
      for (let at = 0; at < size; ) {
        if (binary) { body[at++] = next() % 4 === 0 ? next() & 0xff : 0; continue; }
        const w = enc.encode(words[next() % words.length]! + " ");
        body.set(w.subarray(0, size - at), at);
        at += w.length;
      }
      total += size;
      yield { header: { name: `usr/lib/file-${i}.${binary ? "so" : "c"}`, typeflag: "0", mode: 0o644, uid: 0, gid: 0, size, mtime: 1700000000 }, body };
    }
  }
  writeFileSync(LAYER, new Uint8Array(await new Response(writeTar(entries())).arrayBuffer()));
  execFileSync("gzip", ["-k", "-6", "-f", LAYER]);
}

if (!existsSync(GZ)) await makeLayer();

function fileStream(path: string): ReadableStream<Uint8Array> {
  const fd = openSync(path, "r");
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const buffer = new Uint8Array(1024 * 1024);
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) { closeSync(fd); controller.close(); } else controller.enqueue(buffer.subarray(0, n));
    },
  }, { highWaterMark: 0 });
}

const nativePort = (await loadNativeCodecs()).compression;

async function wharf(): Promise<{ bytes: number; seconds: number }> {
  const start = performance.now();
  const reader = fileStream(GZ).pipeThrough(gunzipStream(nativePort)).getReader();
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.length;
  }
  return { bytes, seconds: (performance.now() - start) / 1000 };
}

function gzipCli(): { seconds: number } {
  const start = performance.now();
  execFileSync("sh", ["-c", `gzip -dc '${GZ}' > /dev/null`]);
  return { seconds: (performance.now() - start) / 1000 };
}

const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
const baseline = Math.min(...[gzipCli(), gzipCli(), gzipCli()].map((r) => r.seconds));
const runs = [await wharf(), await wharf(), await wharf()];
const ours = Math.min(...runs.map((r) => r.seconds));
const bytes = runs[0]!.bytes;
const ratio = baseline / ours;
console.log(`[${runtime}] gunzip native: ${(bytes / ours / 1e6).toFixed(0)} MB/s vs gzip -d ${(bytes / baseline / 1e6).toFixed(0)} MB/s (${(bytes / 1e6).toFixed(0)} MB), ratio ${ratio.toFixed(2)}x (target >= 2x) ${ratio >= 2 ? "PASS" : "FAIL"}`);
