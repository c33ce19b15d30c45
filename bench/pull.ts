/**
 * `pullImage` of load.ts's ~250 MB image (three layers, gzip-compressed by wharf's push) from a
 * loopback registry (Debian's docker-registry, started here on 127.0.0.1) into a fresh overlay2
 * root, against the floor: for every layer blob at once, `curl` of the blob piped through
 * `gzip -d | tar -x` into a directory of its own. The push that seeds the registry is not timed.
 * Runs alternate, each on a fresh ext4 filesystem of its own (freshExt4) after a `sync`; the
 * median of RUNS each. Needs root, overlay, mkfs.ext4, docker-registry and curl. Run under tsx,
 * deno (-A) and bun.
 */
import { mkdirSync, rmSync } from "node:fs";
import { getRuntime } from "../src/runtime/index.ts";
import { openStore } from "../src/store/root.ts";
import { loadImages } from "../src/tarexport/load.ts";
import { pushImage } from "../src/distribution/push.ts";
import { pullImage } from "../src/distribution/pull.ts";
import { parseNormalizedNamed } from "../src/reference/reference.ts";
import { startRegistry } from "../test/support/registry.ts";
import { ARCHIVE, DATA_DIR, IMAGE_TAG, compareRuns, ensureImageData, freshExt4, sh, shellQuote, timed } from "./_image-data.ts";

const TARGET = 1.3;
const RUNS = 3;
const WORK = `${DATA_DIR}pull-work`;
/** The pulled image and the floor's trees take ~0.5 GB; ext4's own metadata fits easily beside. */
const FS_GIB = 2;

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
    const fs = freshExt4(WORK, FS_GIB);
    try {
      const { seconds } = await timed(async () => {
        const store = await openStore({ root: `${fs.path}/root`, driver: "overlay2", runtime });
        try {
          const result = await pullImage(store, name, { runtime });
          if (result.layersFetched !== 3) throw new Error(`expected 3 layers fetched, got ${result.layersFetched}`);
        } finally {
          await store.close();
        }
      });
      return seconds;
    } finally {
      fs.dispose();
    }
  };
  const floor = async (): Promise<number> => {
    const fs = freshExt4(WORK, FS_GIB);
    try {
      // Each pipeline's status is checked: `wait` alone would hide a failed download.
      const jobs = manifest.layers.map((l, i) => {
        mkdirSync(`${fs.path}/floor/${i}`, { recursive: true });
        return `(curl -sf ${registry.url}/v2/bench/pull/blobs/${l.digest} | gzip -d | tar -x -C ${shellQuote(`${fs.path}/floor/${i}`)}) & p${i}=$!`;
      });
      const waits = manifest.layers.map((_, i) => `wait $p${i} || exit 1`).join("; ");
      const { seconds } = await timed(async () => sh(`${jobs.join("; ")}; ${waits}`, { pipefail: true }));
      return seconds;
    } finally {
      fs.dispose();
    }
  };

  await compareRuns({ name: "pull", runtime: runtime.name, detail: `${(compressed / 1e6).toFixed(0)} MB of gzip blobs`, runs: RUNS, target: TARGET, floorName: "curl | gzip -d | tar -x", floor, wharf: wharfPull });
} finally {
  await registry.stop();
  rmSync(WORK, { recursive: true, force: true });
}
