/**
 * CRC-64/ISO over 256 MiB in memory: the WASM engine (`Crc64.update`, which copies JS bytes
 * through the engine window in 1 MiB steps) against a table-driven TypeScript baseline
 * (byte-at-a-time, the 64-bit table split into two Uint32Arrays). Run under tsx, deno, bun.
 */
import { Crc64 } from "../src/tar/crc64.ts";

const SIZE = 256 * 1024 * 1024;
const TARGET_GBPS = 1;
const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

const data = new Uint8Array(SIZE);
let x = 0x2545f491;
for (let i = 0; i < SIZE; i += 4) {
  x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
  data[i] = x; data[i + 1] = x >>> 8; data[i + 2] = x >>> 16; data[i + 3] = x >>> 24;
}

const tableLo = new Uint32Array(256);
const tableHi = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  let lo = i, hi = 0;
  for (let k = 0; k < 8; k++) {
    const lsb = lo & 1;
    lo = ((lo >>> 1) | (hi << 31)) >>> 0;
    hi = hi >>> 1;
    if (lsb) hi = (hi ^ 0xd8000000) >>> 0; // polynomial 0xD800000000000000
  }
  tableLo[i] = lo;
  tableHi[i] = hi;
}

function crcTs(bytes: Uint8Array): bigint {
  let lo = 0xffffffff, hi = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    const idx = (lo ^ bytes[i]!) & 0xff;
    lo = ((lo >>> 8) | (hi << 24)) ^ tableLo[idx]!;
    hi = (hi >>> 8) ^ tableHi[idx]!;
  }
  return (BigInt((~hi) >>> 0) << 32n) | BigInt((~lo) >>> 0);
}

async function crcWasm(bytes: Uint8Array): Promise<bigint> {
  return (await Crc64.create()).update(bytes).value();
}

async function best(run: () => Promise<bigint> | bigint, times: number): Promise<{ value: bigint; seconds: number }> {
  let value = 0n, seconds = Infinity;
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    value = await run();
    seconds = Math.min(seconds, (performance.now() - start) / 1000);
  }
  return { value, seconds };
}

await crcWasm(data.subarray(0, 1 << 20)); // compile the module outside the timing
const wasm = await best(() => crcWasm(data), 3);
const ts = await best(() => crcTs(data), 1);
if (wasm.value !== ts.value) throw new Error(`CRC mismatch: wasm ${wasm.value.toString(16)} ts ${ts.value.toString(16)}`);
const gbps = SIZE / wasm.seconds / 1e9;
console.log(
  `crc64 (${runtime}, 256 MiB): wasm ${wasm.seconds.toFixed(3)}s = ${gbps.toFixed(2)} GB/s (target >= ${TARGET_GBPS} GB/s) ${gbps >= TARGET_GBPS ? "PASS"
  : "FAIL"}; ts table ${ts.seconds.toFixed(3)}s = ${(SIZE / ts.seconds / 1e9).toFixed(2)} GB/s; ratio ${(ts.seconds / wasm.seconds).toFixed(2)}x`,
);
