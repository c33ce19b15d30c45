/**
 * Shared data for the load/save benchmarks (files starting with `_` are not run by bench.mjs):
 * a ~250 MB legacy docker-save archive, generated once under bench/.data/ and cached, and its
 * three layer tars pre-extracted to files (the floor's input).
 *   layer 0: one ~150 MB incompressible file
 *   layer 1: 20 000 small files in nested directories
 *   layer 2: ~50 MB of mixed files (large, medium, small, symlinks, hard links)
 */
import { createWriteStream, existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { Writable } from "node:stream";
import { getRuntime } from "../src/runtime/index.ts";
import { writeTar, type TarEntry } from "../src/tar/writer.ts";

export const DATA_DIR = new URL("./.data/", import.meta.url).pathname;
export const ARCHIVE = `${DATA_DIR}load-250MB.tar`;
export const LAYER_FILES = [0, 1, 2].map((i) => `${DATA_DIR}load-layer${i}.tar`);
export const IMAGE_TAG = "bench/load:1";
const MTIME = 1_700_000_000;

class Rng {
  private x = 0x9e3779b9;
  constructor(seed: number) { this.x = (seed | 1) >>> 0; }
  next(): number {
    let x = this.x;
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    this.x = x;
    return x;
  }
  fill(out: Uint8Array): Uint8Array {
    const words = new Uint32Array(out.buffer, out.byteOffset, out.byteLength >>> 2);
    for (let i = 0; i < words.length; i++) words[i] = this.next();
    for (let i = words.length * 4; i < out.length; i++) out[i] = this.next() & 0xff;
    return out;
  }
}

const dir = (name: string): TarEntry => ({ header: { name: `${name}/`, typeflag: "5", mode: 0o755, uid: 0, gid: 0, size: 0, mtime: MTIME } });
const file = (name: string, body: Uint8Array, mode = 0o644): TarEntry => ({
  header: { name, typeflag: "0", mode, uid: 0, gid: 0, size: body.length, mtime: MTIME }, body,
});

function* layer0(): Iterable<TarEntry> {
  yield dir("blob");
  const rng = new Rng(1);
  const size = 150 << 20;
  // Streamed in 4 MiB chunks so the generator never holds the file whole.
  const chunks = function* () { for (let at = 0; at < size; at += 4 << 20) yield rng.fill(new Uint8Array(Math.min(4 << 20, size - at))); };
  yield { header: { name: "blob/data.bin", typeflag: "0", mode: 0o644, uid: 0, gid: 0, size, mtime: MTIME }, body: chunks() };
}

function* layer1(): Iterable<TarEntry> {
  const rng = new Rng(2);
  let n = 0;
  yield dir("usr");
  for (let a = 0; a < 20; a++) {
    yield dir(`usr/pkg${a}`);
    for (let b = 0; b < 20; b++) {
      yield dir(`usr/pkg${a}/sub${b}`);
      for (let c = 0; c < 50; c++, n++) yield file(`usr/pkg${a}/sub${b}/file-${n}.txt`, rng.fill(new Uint8Array(rng.next() % 3000)));
    }
  }
}

function* layer2(): Iterable<TarEntry> {
  const rng = new Rng(3);
  yield dir("opt");
  yield dir("opt/big");
  for (let i = 0; i < 40; i++) yield file(`opt/big/lib${i}.so`, rng.fill(new Uint8Array(512 * 1024 + (rng.next() % (512 * 1024)))), 0o755);
  yield dir("opt/medium");
  for (let i = 0; i < 400; i++) yield file(`opt/medium/m${i}.dat`, rng.fill(new Uint8Array(20_000 + (rng.next() % 40_000))));
  yield dir("opt/small");
  for (let i = 0; i < 2000; i++) yield file(`opt/small/s${i}`, rng.fill(new Uint8Array(rng.next() % 2000)));
  yield dir("opt/links");
  for (let i = 0; i < 200; i++) {
    yield { header: { name: `opt/links/sym${i}`, typeflag: "2", mode: 0o777, uid: 0, gid: 0, size: 0, mtime: MTIME, linkname: `../small/s${i}` } };
    yield { header: { name: `opt/links/hard${i}`, typeflag: "1", mode: 0o644, uid: 0, gid: 0, size: 0, mtime: MTIME, linkname: `opt/small/s${i + 200}` } };
  }
}

async function writeStreamToFile(stream: ReadableStream<Uint8Array>, path: string): Promise<void> {
  const tmp = `${path}.partial`;
  await stream.pipeTo(Writable.toWeb(createWriteStream(tmp)) as WritableStream<Uint8Array>);
  renameSync(tmp, path);
}

async function sha256File(path: string): Promise<string> {
  const runtime = await getRuntime();
  const d = runtime.digests.sha256();
  const handle = await runtime.files!.open(path, "r");
  const buf = new Uint8Array(4 << 20);
  try {
    for (;;) {
      const n = await handle.read(buf);
      if (n === 0) break;
      d.update(buf.subarray(0, n));
    }
  } finally {
    await handle.close();
  }
  return d.hex();
}

/** Generates the layer tars and the archive once; later calls only check they exist. */
export async function ensureImageData(): Promise<void> {
  if (existsSync(ARCHIVE) && LAYER_FILES.every(existsSync)) return;
  mkdirSync(DATA_DIR, { recursive: true });
  const layers = [layer0, layer1, layer2];
  const hexes: string[] = [];
  for (const [i, make] of layers.entries()) {
    if (!existsSync(LAYER_FILES[i]!)) await writeStreamToFile(writeTar(make()), LAYER_FILES[i]!);
    hexes.push(await sha256File(LAYER_FILES[i]!));
  }
  const config = new TextEncoder().encode(JSON.stringify({
    architecture: "amd64", os: "linux", created: "2023-11-14T22:13:20Z",
    config: { Env: ["PATH=/usr/bin"], Cmd: ["/bin/sh"] },
    rootfs: { type: "layers", diff_ids: hexes.map((h) => `sha256:${h}`) },
    history: hexes.map((_, i) => ({ created: "2023-11-14T22:13:20Z", created_by: `layer ${i}` })),
  }));
  const d = (await getRuntime()).digests.sha256();
  d.update(config);
  const configHex = d.hex();
  const manifest = new TextEncoder().encode(JSON.stringify([{ Config: `${configHex}.json`, RepoTags: [IMAGE_TAG], Layers: hexes.map((h) => `${h}/layer.tar`) }]));
  const files = (await getRuntime()).files!;
  async function* bodyOf(path: string): AsyncIterable<Uint8Array> {
    const handle = await files.open(path, "r");
    try {
      for (;;) {
        const buf = new Uint8Array(4 << 20);
        const n = await handle.read(buf);
        if (n === 0) return;
        yield buf.subarray(0, n);
      }
    } finally {
      await handle.close();
    }
  }
  async function* entries(): AsyncIterable<TarEntry> {
    yield file(`${configHex}.json`, config);
    for (const [i, h] of hexes.entries()) {
      yield dir(h);
      yield { header: { name: `${h}/layer.tar`, typeflag: "0", mode: 0o644, uid: 0, gid: 0, size: statSync(LAYER_FILES[i]!).size, mtime: MTIME }, body: bodyOf(LAYER_FILES[i]!) };
    }
    yield file("manifest.json", manifest);
  }
  await writeStreamToFile(writeTar(entries()), ARCHIVE);
  spawnSync("sync");
}

/** Wall seconds of `fn`, after a `sync`. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  spawnSync("sync");
  const start = performance.now();
  const value = await fn();
  return { seconds: (performance.now() - start) / 1000, value };
}

/**
 * A fresh ext4 filesystem (a loop-mounted image file under `dir`), for one measured run. File
 * creation on a long-used disk drifts run to run (the same `tar -x` of 20 000 files here took
 * 3.2 s of kernel time, then 5.9 s, then 6.1 s), so each run gets the same new filesystem.
 * Needs root and mkfs.ext4. `dispose` unmounts it and removes the image.
 */
export function freshExt4(dir: string, sizeGiB: number): { path: string; dispose(): void } {
  const image = `${dir}/fs.img`;
  const path = `${dir}/mnt`;
  const [img, mnt] = [shellQuote(image), shellQuote(path)];
  sh(`umount ${mnt} 2>/dev/null; rm -f ${img}; mkdir -p ${mnt} && truncate -s ${sizeGiB}G ${img} && mkfs.ext4 -q -F ${img} && mount -o loop ${img} ${mnt}`);
  return { path, dispose: () => sh(`umount ${mnt} && rm -f ${img}`) };
}

/** `s` as one single-quoted shell word. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Runs a shell script and fails loudly on a non-zero exit; `pipefail`: under bash, a pipeline fails with any of its commands. */
export function sh(script: string, options: { pipefail?: boolean } = {}): void {
  const [shell, args] = options.pipefail ? ["bash", ["-o", "pipefail", "-c", script]] : ["sh", ["-c", script]];
  const r = spawnSync(shell, args, { stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) throw new Error(`sh failed (${r.status}): ${script}`);
}

export function verdict(name: string, runtime: string, wharf: number, floor: number, target: number, floorName = "floor"): string {
  const ratio = wharf / floor;
  return `${name} (${runtime}): wharf ${wharf.toFixed(2)}s, ${floorName} ${floor.toFixed(2)}s, ratio ${ratio.toFixed(2)}x (target <= ${target}x) ${ratio <= target ? "PASS" : "FAIL"}`;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Runs the floor and wharf alternately `runs` times (so drifting disk state hits both alike),
 * then prints every run and the verdict on the medians.
 */
export async function compareRuns(options: {
  name: string;
  runtime: string;
  /** Shown after the runtime in the runs line (data size, say). */
  detail?: string;
  runs: number;
  target: number;
  floorName?: string;
  floor: () => Promise<number>;
  wharf: () => Promise<number>;
  /** Measured alongside for context (the verdict stays against the floor): a line of its own. */
  reference?: { name: string; run: () => Promise<number> };
}): Promise<void> {
  const wharfRuns: number[] = [];
  const floorRuns: number[] = [];
  const referenceRuns: number[] = [];
  for (let i = 0; i < options.runs; i++) {
    floorRuns.push(await options.floor());
    if (options.reference) referenceRuns.push(await options.reference.run());
    wharfRuns.push(await options.wharf());
  }
  const floorName = options.floorName ?? "floor";
  const list = (xs: number[]) => xs.map((s) => s.toFixed(2)).join(", ");
  console.log(`${options.name} runs (${options.runtime}${options.detail ? `, ${options.detail}` : ""}): wharf ${list(wharfRuns)}s; ${floorName} ${list(floorRuns)}s`);
  if (options.reference) {
    const ref = median(referenceRuns);
    console.log(`${options.name} reference (${options.runtime}): ${options.reference.name} ${list(referenceRuns)}s, median ${ref.toFixed(2)}s = ${(ref / median(floorRuns)).toFixed(2)}x the floor; wharf ${(median(wharfRuns) / ref).toFixed(2)}x the reference`);
  }
  console.log(verdict(options.name, options.runtime, median(wharfRuns), median(floorRuns), options.target, floorName));
}
