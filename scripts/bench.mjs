#!/usr/bin/env node
// Runs bench/*.ts under each runtime, with `sync` and a dropped page cache attempt before each
// run so one bench's writes do not bleed into the next. Every bench prints its own ratio against a
// baseline measured in the same run; this script only collects the summary lines.
//
//   node scripts/bench.mjs [--runtime node,deno,bun] [bench-name-filter ...]
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureWasmBuilt } from "./lib/build.mjs";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(repo, "node_modules", ".bin", name);
const commandFor = {
  node: (file) => [bin("tsx"), [file]],
  deno: (file) => [bin("deno"), ["run", "-A", file]],
  bun: (file) => [bin("bun"), [file]],
};

let runtimes = ["node", "deno", "bun"];
const filters = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--runtime" || argv[i] === "-r") runtimes = argv[++i].split(",");
  else filters.push(argv[i]);
}

await ensureWasmBuilt(repo);
const benches = readdirSync(join(repo, "bench"))
  .filter((f) => f.endsWith(".ts") && !f.startsWith("_"))
  .filter((f) => !filters.length || filters.some((x) => f.includes(x)))
  .sort();
const summary = [];
for (const name of benches) {
  for (const runtime of runtimes) {
    spawnSync("sync");
    const [cmd, args] = commandFor[runtime](join("bench", name));
    console.log(`\n== ${name} on ${runtime}`);
    const r = spawnSync(cmd, args, { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 << 20 });
    process.stdout.write(r.stdout ?? "");
    for (const line of (r.stdout ?? "").split("\n")) if (/ratio|GB\/s|MB\/s/.test(line)) summary.push(`[${runtime}] ${line.trim()}`);
    if (r.status !== 0) summary.push(`[${runtime}] ${name}: exited ${r.status}`);
  }
}
console.log("\n== summary\n" + summary.join("\n"));
