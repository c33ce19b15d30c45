/**
 * SHA-256 of a 256 MiB file: wharf's native path and WASM path against `openssl dgst -sha256`
 * of the same file, measured in the same run. Run under tsx, deno (-A) and bun.
 */
import { existsSync, openSync, readSync, closeSync, writeFileSync, mkdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { loadNativeCodecs } from "../src/runtime/node-compat.ts";
import { loadWasmDigests } from "../src/hash/wasm.ts";
import type { DigesterFactory } from "../src/ports.ts";

const DATA = new URL("./.data/sha256-256MiB.bin", import.meta.url).pathname;
const SIZE = 256 * 1024 * 1024;

if (!existsSync(DATA)) {
  mkdirSync(new URL("./.data/", import.meta.url).pathname, { recursive: true });
  const block = new Uint8Array(SIZE);
  let x = 0x12345678;
  for (let i = 0; i < SIZE; i += 4) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    block[i] = x; block[i + 1] = x >>> 8; block[i + 2] = x >>> 16; block[i + 3] = x >>> 24;
  }
  writeFileSync(DATA, block);
}

function hashFile(digests: DigesterFactory): { hex: string; seconds: number } {
  const start = performance.now();
  const digester = digests.sha256();
  const buffer = new Uint8Array(1024 * 1024);
  const fd = openSync(DATA, "r");
  for (;;) {
    const n = readSync(fd, buffer, 0, buffer.length, null);
    if (n === 0) break;
    digester.update(buffer.subarray(0, n));
  }
  closeSync(fd);
  return { hex: digester.hex(), seconds: (performance.now() - start) / 1000 };
}

function openssl(): { hex: string; seconds: number } {
  const start = performance.now();
  const out = execFileSync("openssl", ["dgst", "-sha256", "-r", DATA], { encoding: "utf8" });
  return { hex: out.slice(0, 64), seconds: (performance.now() - start) / 1000 };
}

const best = (run: () => { hex: string; seconds: number }) => {
  const runs = [run(), run(), run()];
  return { hex: runs[0]!.hex, seconds: Math.min(...runs.map((r) => r.seconds)) };
};
const gbps = (seconds: number) => SIZE / seconds / 1e9;
const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

const baseline = best(openssl);
const nativeFactory = (await loadNativeCodecs()).digests;
const native = best(() => hashFile(nativeFactory));
const wasmDigests = await loadWasmDigests();
const wasm = best(() => hashFile(wasmDigests));
for (const [label, result, target] of [["native", native, 0.9], ["wasm", wasm, 0.5]] as const) {
  if (result.hex !== baseline.hex) throw new Error(`${label} digest differs from openssl`);
  const ratio = baseline.seconds / result.seconds;
  console.log(`[${runtime}] sha256 ${label}: ${gbps(result.seconds).toFixed(2)} GB/s vs openssl ${gbps(baseline.seconds).toFixed(2)} GB/s, ratio ${ratio.toFixed(2)}x (target >= ${target}x) ${ratio >= target ? "PASS" : "FAIL"}`);
}
