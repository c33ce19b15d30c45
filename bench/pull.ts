/**
 * `pullImage` of load.ts's ~250 MB image (three layers, gzip-compressed by wharf's push) from a
 * loopback registry (Debian's docker-registry, started here on 127.0.0.1) into a fresh overlay2
 * root, against the floor: for every layer blob at once, `curl` of the blob piped through
 * `gzip -d | tar -x` into a directory of its own. The push that seeds the registry is not timed.
 * Runs alternate, each after removing the previous trees and a `sync`; the median of RUNS each.
 * Needs root, overlay, docker-registry and curl. Run under tsx, deno (-A) and bun.
 */
import { mkdirSync, rmSync } from "node:fs";
import { getRuntime } from "../src/runtime/index.ts";
import { openStore } from "../src/store/root.ts";
import { loadImages } from "../src/tarexport/load.ts";
import { pushImage } from "../src/distribution/push.ts";
import { pullImage } from "../src/distribution/pull.ts";
import { parseNormalizedNamed } from "../src/reference/reference.ts";
import { startRegistry } from "../test/support/registry.ts";
import { ARCHIVE, DATA_DIR, IMAGE_TAG, compareRuns, ensureImageData, sh, timed } from "./_image-data.ts";

const TARGET = 1.3;
const RUNS = 3;
const WORK = `${DATA_DIR}pull-work`;

await ensureImageData();
const runtime = await getRuntime();
rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });
const registry = await startRegistry();
const name = `${registry.host}/bench/pull:1`;

try {
  const seed = await openStore({ root: `${WORK}/seed`, driver: "vfs", runtime });
  try {
    await loadImages(seed, { path: ARCHIVE }, { runtime });
    await seed.references.addTag(parseNormalizedNamed(name), seed.references.get(parseNormalizedNamed(IMAGE_TAG)), true);
    await pushImage(seed, name, { runtime });
  } finally {
    await seed.close();
  }
  rmSync(`${WORK}/seed`, { recursive: true, force: true });
  const manifest = (await (await fetch(`${registry.url}/v2/bench/pull/manifests/1`, { headers: { Accept: "application/vnd.docker.distribution.manifest.v2+json" } })).json()) as { layers: Array<{ digest: string; size: number }> };
  const compressed = manifest.layers.reduce((n, l) => n + l.size, 0);

  const wharfPull = async (): Promise<number> => {
    rmSync(`${WORK}/root`, { recursive: true, force: true });
    const { seconds } = await timed(async () => {
      const store = await openStore({ root: `${WORK}/root`, driver: "overlay2", runtime });
      try {
        const result = await pullImage(store, name, { runtime });
        if (result.layersFetched !== 3) throw new Error(`expected 3 layers fetched, got ${result.layersFetched}`);
      } finally {
        await store.close();
      }
    });
    return seconds;
  };
  const floor = async (): Promise<number> => {
    rmSync(`${WORK}/floor`, { recursive: true, force: true });
    const jobs = manifest.layers.map((l, i) => {
      mkdirSync(`${WORK}/floor/${i}`, { recursive: true });
      return `(curl -sf ${registry.url}/v2/bench/pull/blobs/${l.digest} | gzip -d | tar -x -C ${WORK}/floor/${i}) &`;
    });
    const { seconds } = await timed(async () => sh(`${jobs.join(" ")} wait`));
    return seconds;
  };

  await compareRuns({ name: "pull", runtime: runtime.name, detail: `${(compressed / 1e6).toFixed(0)} MB of gzip blobs`, runs: RUNS, target: TARGET, floorName: "curl | gzip -d | tar -x", floor, wharf: wharfPull });
} finally {
  await registry.stop();
  rmSync(WORK, { recursive: true, force: true });
}
