/**
 * `loadImages` of a ~250 MB legacy docker-save archive (see _image-data.ts) into a fresh overlay2
 * root, against the floor: GNU `tar -x` of the same three layer tars (pre-extracted to files),
 * each into its own directory, all three at once, plus `openssl dgst -sha256` of each (what a
 * load must at least do: write the trees and hash the layers). Before each measured run the
 * previous run's trees are removed and `sync`ed: file creation on this disk is very sensitive to
 * pending deletions and writeback, so runs alternate and the median of RUNS each is compared.
 * Needs root and overlay. Run under tsx, deno (-A) and bun.
 */
import { rmSync, mkdirSync } from "node:fs";
import { getRuntime } from "../src/runtime/index.ts";
import { openStore } from "../src/store/root.ts";
import { loadImages } from "../src/tarexport/load.ts";
import { ARCHIVE, DATA_DIR, LAYER_FILES, compareRuns, ensureImageData, sh, timed } from "./_image-data.ts";

const TARGET = 2;
const RUNS = 3;
const WORK = `${DATA_DIR}load-work`;

await ensureImageData();
const runtime = await getRuntime();

async function wharfLoad(): Promise<number> {
  const root = `${WORK}/root`;
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  const { seconds } = await timed(async () => {
    const store = await openStore({ root, driver: "overlay2", runtime });
    try {
      const result = await loadImages(store, { path: ARCHIVE }, { runtime });
      if (result.images[0]?.layersRegistered !== 3) throw new Error(`expected 3 layers registered: ${JSON.stringify(result.images)}`);
    } finally {
      await store.close();
    }
  });
  return seconds;
}

async function floor(): Promise<number> {
  rmSync(WORK, { recursive: true, force: true });
  const jobs = LAYER_FILES.map((f, i) => {
    mkdirSync(`${WORK}/floor${i}`, { recursive: true });
    return `(tar -x -f ${f} -C ${WORK}/floor${i} & openssl dgst -sha256 ${f} >/dev/null & wait) &`;
  });
  const { seconds } = await timed(async () => sh(`${jobs.join(" ")} wait`));
  return seconds;
}

await compareRuns({ name: "load", runtime: runtime.name, runs: RUNS, target: TARGET, floor, wharf: wharfLoad });
rmSync(WORK, { recursive: true, force: true });
