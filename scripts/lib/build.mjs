// Builds what the tests and benches run: the WASM tar engine and the CLI bundle for Node, each only when stale.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const GENERATED = "src/wasm/tar-engine.generated.ts";

function newestSource(dir) {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    newest = Math.max(newest, st.isDirectory() ? newestSource(p) : st.mtimeMs);
  }
  return newest;
}

export async function ensureWasmBuilt(repo) {
  const out = join(repo, GENERATED);
  const script = join(repo, "scripts", "build-wasm.mjs");
  if (!existsSync(script)) return;
  const stale = !existsSync(out) || statSync(out).mtimeMs < Math.max(newestSource(join(repo, "assembly")), statSync(script).mtimeMs);
  if (!stale) return;
  const r = spawnSync(process.execPath, [script], { cwd: repo, stdio: "inherit" });
  if (r.status !== 0) throw new Error(`WASM build failed (exit ${r.status})`);
}

/** Rebuilds dist/wharf.mjs (the Node bundle of the CLI) when src/, cli/ or the WASM are newer. */
export async function ensureCliBundle(repo) {
  const out = join(repo, "dist", "wharf.mjs");
  const newest = Math.max(newestSource(join(repo, "src")), newestSource(join(repo, "cli")), statSync(join(repo, "package.json")).mtimeMs);
  if (existsSync(out) && statSync(out).mtimeMs >= newest) return;
  const r = spawnSync(process.execPath, [join(repo, "scripts", "build-cli.mjs")], { cwd: repo, stdio: "inherit" });
  if (r.status !== 0) throw new Error(`CLI bundle build failed (exit ${r.status})`);
}
