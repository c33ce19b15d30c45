#!/usr/bin/env node
// Runs the uvu test files under Node (tsx), Deno (`deno run -A`), Bun (`bun file.ts`) and, for
// test/portable/, headless Chromium. `deno test` / `bun test` would report zero uvu tests and exit
// 0, so every file runs as a plain program and its uvu summary is parsed. The last line printed
// is `N passed, N failed` summed over every runtime; the exit code is 1 when anything failed.
//
//   node scripts/test.mjs [--runtime node,deno,bun,browser] [--jobs N] [file-filter ...]
import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureCliBundle, ensureWasmBuilt } from "./lib/build.mjs";
import { parseUvuSummary } from "./lib/uvu-summary.mjs";
import { runBrowserTests } from "./lib/browser-tests.mjs";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(repo, "node_modules", ".bin", name);
const ALL = ["node", "deno", "bun", "browser"];
const FILE_TIMEOUT_MS = 10 * 60 * 1000;

function parseArgs(argv) {
  const opts = { runtimes: ALL, jobs: 2, filters: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--runtime" || a === "-r") opts.runtimes = argv[++i].split(",");
    else if (a === "--jobs" || a === "-j") opts.jobs = Number(argv[++i]);
    else opts.filters.push(a);
  }
  for (const r of opts.runtimes) if (!ALL.includes(r)) throw new Error(`unknown runtime ${r} (one of ${ALL.join(", ")})`);
  return opts;
}

function listTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (name === "support") continue;
    if (statSync(p).isDirectory()) out.push(...listTests(p));
    else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

const commandFor = {
  node: (file) => [bin("tsx"), [file]],
  deno: (file) => [bin("deno"), ["run", "-A", file]],
  bun: (file) => [bin("bun"), [file]],
};

function runFile(runtime, file) {
  const [cmd, args] = commandFor[runtime](file);
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: repo,
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => {
      out += `\n[test runner] timed out after ${FILE_TIMEOUT_MS / 1000}s\n`;
      child.kill("SIGKILL");
    }, FILE_TIMEOUT_MS);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? 128, signal, out });
    });
  });
}

/** Counts for one file: a crash, a timeout or a non-zero exit without failures is one failure. */
export function countsFor(result) {
  const s = parseUvuSummary(result.out);
  if (!s) return { passed: 0, failed: 1, skipped: 0 };
  const failed = s.total - s.passed - s.skipped;
  return { passed: s.passed, failed: failed > 0 ? failed : result.code !== 0 ? 1 : 0, skipped: s.skipped };
}

async function runRuntime(runtime, files, jobs) {
  const totals = { passed: 0, failed: 0, skipped: 0 };
  const queue = [...files];
  const worker = async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const result = await runFile(runtime, file);
      const c = countsFor(result);
      totals.passed += c.passed;
      totals.failed += c.failed;
      totals.skipped += c.skipped;
      const rel = relative(repo, file);
      const status = c.failed ? "FAIL" : "ok  ";
      console.log(`[${runtime}] ${status} ${rel}: ${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ""}`);
      if (c.failed) console.log(result.out.replace(/^/gm, `    [${runtime}] `));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
  return totals;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  await ensureWasmBuilt(repo);
  await ensureCliBundle(repo);
  let files = listTests(join(repo, "test"));
  if (opts.filters.length) files = files.filter((f) => opts.filters.some((x) => f.includes(x)));
  const grand = { passed: 0, failed: 0, skipped: 0 };
  const add = (t) => {
    grand.passed += t.passed;
    grand.failed += t.failed;
    grand.skipped += t.skipped;
  };
  for (const runtime of opts.runtimes) {
    if (runtime === "browser") {
      const portable = files.filter((f) => f.includes(`${join("test", "portable")}/`));
      if (portable.length) add(await runBrowserTests(repo, portable));
      continue;
    }
    if (!existsSync(commandFor[runtime](files[0] ?? "")[0])) {
      console.log(`[${runtime}] FAIL runtime binary missing (run npm ci)`);
      grand.failed += 1;
      continue;
    }
    add(await runRuntime(runtime, files, opts.jobs));
  }
  console.log(`${grand.passed} passed, ${grand.failed} failed${grand.skipped ? `, ${grand.skipped} skipped` : ""}`);
  process.exitCode = grand.failed ? 1 : 0;
}

await main();
