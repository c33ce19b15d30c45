/**
 * `commitContainer` of a container that added 10 000 small files and one 100 MB file (written
 * straight into its overlay2 upper dir, not timed), against `tar -c` of that upper dir piped to
 * `openssl dgst -sha256` — the read, archive and hash a commit cannot avoid. wharf also writes
 * the new layer and its tar-split. Each commit's image is deleted before the next (layers go
 * with it). `sync` before each measured run; the median of RUNS each. Needs root and overlay.
 * A reference is measured alongside: the same work done by C tools, including the layer write
 * the floor leaves out (`tar -c | tee >(openssl dgst) | tar -x` into a fresh directory).
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { getRuntime } from "../src/runtime/index.ts";
import { openStore } from "../src/store/root.ts";
import { loadImages } from "../src/tarexport/load.ts";
import { createContainer } from "../src/container/create.ts";
import { commitContainer } from "../src/container/commit.ts";
import { compareRuns, DATA_DIR, sh, timed } from "./_image-data.ts";

const TARGET = 1.5;
const RUNS = 3;
const SMALL_FILES = 10_000;
const BIG_FILE_BYTES = 100 * 1024 * 1024;
const WORK = `${DATA_DIR}commit-work`;
const ROOT = `${WORK}/root`;
const BUSYBOX = new URL("../../shared/fixtures/docker-save/busybox.tar", import.meta.url).pathname;

const runtime = await getRuntime();
rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });
const store = await openStore({ root: ROOT, driver: "overlay2", runtime });

try {
  await loadImages(store, { path: BUSYBOX }, { runtime });
  const container = await createContainer(store, "wharf-test/busybox:base", { name: "bench" });
  const upper = `${ROOT}/overlay2/${store.layers.getRWLayer(container.id)!.mountID}/diff`;
  for (let d = 0; d < 100; d++) {
    mkdirSync(`${upper}/small/${d}`, { recursive: true });
    for (let f = 0; f < SMALL_FILES / 100; f++) writeFileSync(`${upper}/small/${d}/${f}.txt`, `file ${d}/${f}\n`);
  }
  const big = new Uint8Array(BIG_FILE_BYTES);
  for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) & 0xff; // not all zeros, not sparse
  writeFileSync(`${upper}/big.bin`, big);

  const wharfCommit = async (): Promise<number> => {
    const { seconds, value } = await timed(() => commitContainer(store, runtime.clock, { container: container.id, created: runtime.clock.now() }));
    await store.images.delete(value.id);
    return seconds;
  };
  const floor = async (): Promise<number> => {
    const { seconds } = await timed(async () => sh(`tar -c -C ${upper} . | openssl dgst -sha256 > /dev/null`));
    return seconds;
  };

  const reference = async (): Promise<number> => {
    rmSync(`${WORK}/reference`, { recursive: true, force: true });
    mkdirSync(`${WORK}/reference`);
    const { seconds } = await timed(async () => sh(`bash -c 'tar -c -C ${upper} . | tee >(openssl dgst -sha256 > /dev/null) | tar -x -C ${WORK}/reference'`));
    rmSync(`${WORK}/reference`, { recursive: true, force: true });
    return seconds;
  };

  await wharfCommit(); // warm-up: page cache holds the upper dir for both sides alike
  await compareRuns({ name: "commit", runtime: runtime.name, detail: `${SMALL_FILES} small files + 100 MB`, runs: RUNS, target: TARGET, floorName: "tar -c | openssl dgst", floor, wharf: wharfCommit,
    reference: { name: "tar -c | tee >(openssl dgst) | tar -x", run: reference } });
} finally {
  await store.close();
  rmSync(WORK, { recursive: true, force: true });
}
