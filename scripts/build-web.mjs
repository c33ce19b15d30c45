// Bundles the web inspector (web/src/main.ts and the Web Worker web/src/worker.ts) from the same
// src/ core into web/dist/ with index.html and style.css. The WASM tar engine is inlined in
// src/wasm/tar-engine.generated.ts, so the page needs no other file and makes no request but its own.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureWasmBuilt } from "./lib/build.mjs";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Builds web/dist/; returns its path. */
export async function buildWeb() {
  await ensureWasmBuilt(repo);
  const src = join(repo, "web", "src");
  const outdir = join(repo, "web", "dist");
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: { main: join(src, "main.ts"), worker: join(src, "worker.ts") },
    outdir,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "chrome120",
    sourcemap: "linked",
    minify: true,
    // The core never reaches these in the browser; a stray import must fail loudly, not bundle Node code.
    external: ["node:*", "bun:*"],
    logLevel: "warning",
  });
  copyFileSync(join(repo, "web", "index.html"), join(outdir, "index.html"));
  copyFileSync(join(src, "style.css"), join(outdir, "style.css"));
  return outdir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`built ${await buildWeb()}`);
}
