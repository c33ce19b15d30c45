/**
 * A cold `wharf images` process over a root holding 50 images (50 tiny distinct layers on one
 * shared base, loaded from one generated archive), against the same runtime starting an empty
 * script. Node runs the bundle `dist/wharf.mjs` (`npm run build` first), Deno `deno run -A
 * cli/main.ts`, Bun `bun cli/main.ts`. Median of RUNS after one warm-up each; the target is an
 * absolute median under 100 ms (on Deno and Bun; Node is reported). Run under tsx, deno (-A), bun.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { getRuntime } from "../src/runtime/index.ts";
import { openStore } from "../src/store/root.ts";
import { loadImages } from "../src/tarexport/load.ts";
import { writeTar, type TarEntry } from "../src/tar/writer.ts";

const IMAGES = 50;
const RUNS = 9;
const TARGET_MS = 100;
const repo = new URL("../", import.meta.url).pathname;
const DATA = `${repo}bench/.data/`;
const ROOT = `${DATA}images-cold-root`;
const runtime = await getRuntime();
// Node 20 runs no .ts without a loader: its empty script is .mjs.
const EMPTY = `${DATA}empty.${runtime.name === "node" ? "mjs" : "ts"}`;
const bin = (name: string) => `${repo}node_modules/.bin/${name}`;

const MTIME = 1_700_000_000;
const enc = new TextEncoder();
const file = (name: string, text: string): TarEntry => {
  const body = enc.encode(text);
  return { header: { name, typeflag: "0", mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: MTIME }, body };
};

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function sha256(bytes: Uint8Array): string {
  const d = runtime.digests.sha256();
  d.update(bytes);
  return d.hex();
}

/** One archive of 50 images: a shared base layer plus one tiny layer each. */
async function buildRoot(): Promise<void> {
  const base = await bytesOf(writeTar([{ header: { name: "etc/", typeflag: "5", mode: 0o755, uid: 0, gid: 0, size: 0, mtime: MTIME } }, file("etc/os-release", "NAME=bench\n")]));
  const baseHex = sha256(base);
  const members: TarEntry[] = [{ header: { name: `${baseHex}/layer.tar`, typeflag: "0", mode: 0o644, uid: 0, gid: 0, size: base.length, mtime: MTIME }, body: base }];
  const manifest: unknown[] = [];
  for (let i = 0; i < IMAGES; i++) {
    const top = await bytesOf(writeTar([file(`app${i}.txt`, `image ${i}\n`)]));
    const topHex = sha256(top);
    members.push({ header: { name: `${topHex}/layer.tar`, typeflag: "0", mode: 0o644, uid: 0, gid: 0, size: top.length, mtime: MTIME }, body: top });
    const config = enc.encode(JSON.stringify({
      architecture: "amd64", os: "linux", created: new Date((MTIME + i * 3600) * 1000).toISOString(), config: { Cmd: ["/bin/sh"] },
      rootfs: { type: "layers", diff_ids: [`sha256:${baseHex}`, `sha256:${topHex}`] },
      history: [{ created_by: "base" }, { created_by: `app ${i}` }],
    }));
    const configHex = sha256(config);
    members.push({ header: { name: `${configHex}.json`, typeflag: "0", mode: 0o644, uid: 0, gid: 0, size: config.length, mtime: MTIME }, body: config });
    manifest.push({ Config: `${configHex}.json`, RepoTags: [`bench/app${i}:v1`], Layers: [`${baseHex}/layer.tar`, `${topHex}/layer.tar`] });
  }
  members.push(file("manifest.json", JSON.stringify(manifest)));
  const archive = `${DATA}images-cold.tar`;
  writeFileSync(archive, await bytesOf(writeTar(members)));
  rmSync(ROOT, { recursive: true, force: true });
  const store = await openStore({ root: ROOT, driver: "overlay2", runtime });
  try {
    const result = await loadImages(store, { path: archive }, { runtime });
    if (result.images.length !== IMAGES) throw new Error(`loaded ${result.images.length} images, expected ${IMAGES}`);
  } finally {
    await store.close();
  }
}

function command(args: string[]): [string, string[]] {
  if (runtime.name === "deno") return [bin("deno"), ["run", "-A", ...args]];
  if (runtime.name === "bun") return [bin("bun"), args];
  return ["node", args];
}

/** Median wall milliseconds of spawning `cmd args` (after one warm-up run), checking it succeeds. */
function medianMs(cmd: string, args: string[], check?: (stdout: string) => void): number {
  const once = () => {
    const start = performance.now();
    const r = spawnSync(cmd, args, { cwd: repo, encoding: "utf8", env: { ...process.env, WHARF_ROOT: ROOT } });
    const ms = performance.now() - start;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
    check?.(r.stdout);
    return ms;
  };
  once();
  const runs = Array.from({ length: RUNS }, once).sort((a, b) => a - b);
  return runs[Math.floor(RUNS / 2)]!;
}

mkdirSync(DATA, { recursive: true });
writeFileSync(EMPTY, "export {};\n");
await buildRoot();
const entry = runtime.name === "node" ? `${repo}dist/wharf.mjs` : `${repo}cli/main.ts`;
if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build`);
spawnSync("sync");
const baseline = medianMs(...command([EMPTY]));
const images = medianMs(...command([entry, "--root", ROOT, "images"]), (out) => {
  const lines = out.trim().split("\n").length;
  if (lines !== IMAGES + 1) throw new Error(`wharf images printed ${lines} lines, expected ${IMAGES + 1}`);
});
const pass = images < TARGET_MS;
console.log(
  `images-cold (${runtime.name}, ${IMAGES} images): wharf images ${images.toFixed(0)}ms, empty script ${baseline.toFixed(0)}ms, ratio ${(images / baseline).toFixed(2)}x, ` +
    `wharf's own ${(images - baseline).toFixed(0)}ms (target < ${TARGET_MS}ms absolute${runtime.name === "node" ? ", informational on node" : ""}) ${pass ? "PASS" : "FAIL"}`,
);
