// A cold `wharf images` (and the other commands that only read the store) must not load what
// only writers and readers of layer bytes need: the extractor, diff and tar-split code, the
// codecs and the WASM engine. Checked on the module graph (esbuild's, with code splitting): the
// modules statically reachable from cli/main.ts and cli/images.ts. Node only (one graph).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { build } from "esbuild";
import { getRuntime } from "../src/runtime/index.ts";

const rt = await getRuntime();
const nodeTest = rt.name === "node" ? test : test.skip;
const repo = new URL("..", import.meta.url).pathname;

/** Source files reachable from `cli/main.ts` and `command` without crossing a dynamic import. */
async function staticClosure(command: string): Promise<Set<string>> {
  const result = await build({
    entryPoints: [`${repo}cli/main.ts`], bundle: true, splitting: true, format: "esm", platform: "node", write: false,
    outdir: "/tmp/wharf-cli-imports", metafile: true, logLevel: "silent", external: ["citty", "@bomb.sh/tab", "bun:ffi"],
  });
  const outputs = result.metafile.outputs;
  const chunks = new Set<string>();
  const walk = (name: string): void => {
    if (!outputs[name] || chunks.has(name)) return;
    chunks.add(name);
    for (const i of outputs[name]!.imports) if (i.kind === "import-statement") walk(i.path);
  };
  for (const [name, out] of Object.entries(outputs)) {
    if (out.entryPoint === "cli/main.ts" || out.inputs[command]) walk(name);
  }
  const files = new Set<string>();
  for (const name of chunks) for (const input of Object.keys(outputs[name]!.inputs)) files.add(input);
  return files;
}

nodeTest("`images` loads the store, not the layer writers, readers, codecs or WASM engine", async () => {
  const files = await staticClosure("cli/images.ts");
  assert.ok(files.has("src/store/root.ts") && files.has("src/image/store.ts"), "the graph was read");
  const heavy = [
    "src/archive/apply.ts", "src/archive/diff-tar.ts", "src/archive/changes.ts", "src/layer/apply-tar.ts",
    "src/tar/tarsplit-assemble.ts", "src/tar/tarsplit-scan.ts", "src/tar/reader.ts", "src/compress/index.ts",
    "src/wasm/tar-engine.generated.ts", "node_modules/fflate/esm/index.mjs", "node_modules/fzstd/esm/index.mjs",
  ];
  for (const file of heavy) assert.not.ok(files.has(file), `${file} is loaded by a cold \`wharf images\``);
});

test.run();
