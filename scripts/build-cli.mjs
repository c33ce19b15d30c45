// Bundles the CLI for Node (dist/wharf.mjs): Node 20 cannot strip TypeScript types, and Deno
// refuses .ts files inside node_modules, so `npx wharf` runs this bundle while Deno and Bun run
// cli/main.ts directly. Dependencies are bundled in so the file runs on its own.
import { build } from "esbuild";
import { chmodSync } from "node:fs";
import { ensureWasmBuilt } from "./lib/build.mjs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
await ensureWasmBuilt(repo);
const outfile = join(repo, "dist", "wharf.mjs");
// The worker thread's script (src/runtime/thread-workers.ts finds it beside the CLI bundle).
const workerfile = join(repo, "dist", "wharf-worker.mjs");
const shared = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["bun:*"],
  banner: { js: "import { createRequire as __wharfRequire } from 'node:module'; const require = __wharfRequire(import.meta.url);" },
  logLevel: "warning",
};
await build({ ...shared, entryPoints: [join(repo, "src", "runtime", "worker-entry.ts")], outfile: workerfile });
await build({
  entryPoints: [join(repo, "cli", "main.ts")],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // Deno/Bun adapters are never loaded under Node; bun:* stays an unresolved external.
  external: ["bun:*"],
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __wharfRequire } from 'node:module'; const require = __wharfRequire(import.meta.url);" },
  logLevel: "warning",
});
chmodSync(outfile, 0o755);
console.log(`built ${outfile}`);
