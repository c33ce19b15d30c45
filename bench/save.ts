/**
 * `saveImages` (legacy form) of the image of load.ts's ~250 MB archive, loaded once into an
 * overlay2 root (not timed), written to a file, against `tar -c` of the same three layer trees
 * (the layers' overlay2 diff/ directories) into a file. A file, not /dev/null: GNU tar does not
 * read file contents when writing to /dev/null. `sync` before each measured run; the median of
 * RUNS each. Needs root and overlay. Run under tsx, deno (-A) and bun.
 */
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { getRuntime } from "../src/runtime/index.ts";
import { openStore } from "../src/store/root.ts";
import { loadImages } from "../src/tarexport/load.ts";
import { saveImages } from "../src/tarexport/save.ts";
import { writeStreamTo } from "../src/io/file-stream.ts";
import { layerTarChunks } from "../src/io/chunk-pool.ts";
import { ARCHIVE, DATA_DIR, IMAGE_TAG, compareRuns, ensureImageData, sh, timed } from "./_image-data.ts";

const TARGET = 1.5;
const RUNS = 3;
const WORK = `${DATA_DIR}save-work`;
const ROOT = `${WORK}/root`;
const OUT = `${WORK}/out.tar`;

await ensureImageData();
const runtime = await getRuntime();
const files = runtime.files!;
rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });
const store = await openStore({ root: ROOT, driver: "overlay2", runtime });

try {
  await loadImages(store, { path: ARCHIVE }, { runtime });
  const diffDirs = readdirSync(`${ROOT}/overlay2`).filter((d) => d !== "l").map((d) => `${ROOT}/overlay2/${d}/diff`);
  if (diffDirs.length !== 3) throw new Error(`expected 3 layer directories, found ${diffDirs.length}`);

  const wharfSave = async (): Promise<number> => {
    rmSync(OUT, { force: true });
    const { seconds } = await timed(async () => {
      const tar = await saveImages(store, [IMAGE_TAG], { runtime });
      const handle = await files.open(OUT, "w", 0o644);
      try {
        await writeStreamTo(handle, tar, { recycle: (c) => layerTarChunks.release(c) }); // as `wharf save -o` does
      } finally {
        await handle.close();
      }
    });
    return seconds;
  };
  const floor = async (): Promise<number> => {
    rmSync(OUT, { force: true });
    const { seconds } = await timed(async () => sh(`tar -c -f ${OUT} ${diffDirs.map((d) => `-C ${d} .`).join(" ")}`));
    return seconds;
  };

  await wharfSave(); // warm-up: page cache holds the layer files for both sides alike
  const savedBytes = statSync(OUT).size;
  await compareRuns({ name: "save", runtime: runtime.name, detail: `${(savedBytes / 1e6).toFixed(0)} MB`, runs: RUNS, target: TARGET, floorName: "tar -c", floor, wharf: wharfSave });
} finally {
  await store.close();
  rmSync(WORK, { recursive: true, force: true });
}
