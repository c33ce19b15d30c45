/**
 * The drivers against what a real Docker 20.10 built from multi.tar: each layer applied in turn,
 * the `size` the driver reports equals the fixture's, and the driver's directory tree lists
 * (dump-root.py) exactly as Docker's did.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { getRuntime } from "../src/runtime/index.ts";
import { openDriver } from "../src/graphdriver/registry.ts";
import { TarReader } from "../src/tar/reader.ts";
import { chainIDs, digestHex } from "../src/hash/digest.ts";
import type { FilesPort } from "../src/ports.ts";
import { readSavedImage, dumpRoot, fixtureLines, linesUnder } from "./support/layers.ts";

const rt = await getRuntime();
const files = rt.files as FilesPort;
const isRoot = rt.env?.uid() === 0;
const rootTest = isRoot ? test : test.skip;
const enc = new TextEncoder();
const image = await readSavedImage();
const chains = chainIDs(rt.digests, image.layers.map((l) => l.diffID));

function randomID(): string {
  return Array.from(rt.random.bytes(32), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The fixture's `size` per chainID (hex) in a listing. */
async function fixtureSizes(listing: string, driver: string): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for (const line of await fixtureLines(listing, `image/${driver}/layerdb/sha256/`)) {
    const m = /layerdb\/sha256\/([0-9a-f]{64})\/size = '(\d+)'/.exec(line);
    if (m) sizes.set(m[1]!, Number(m[2]));
  }
  return sizes;
}

/** Loads multi.tar's layers through `driver`, as the layer store would; returns the sizes and the root. */
async function loadLayers(driverName: "overlay2" | "vfs") {
  const root = await files.makeTempDir(`wharf-gd-${driverName}-`);
  const driver = await openDriver({ root, name: driverName, runtime: rt });
  const sizes: number[] = [];
  let parent: string | undefined;
  for (const [i, layer] of image.layers.entries()) {
    const id = randomID();
    await driver.create(id, parent);
    const applier = await driver.applier(id, parent);
    for await (const entry of new TarReader(layer.tar)) await applier.apply(entry);
    sizes.push(await applier.finish());
    // Just enough of a layerdb for dump-root to number the random names as in the fixture.
    const layerDir = `${root}/image/${driverName}/layerdb/sha256/${digestHex(chains[i]!)}`;
    await files.mkdir(layerDir, { recursive: true });
    await files.writeFile(`${layerDir}/cache-id`, enc.encode(id));
    parent = id;
  }
  return { root, driver, sizes };
}

for (const driverName of ["overlay2", "vfs"] as const) {
  const listing = `multi.${driverName}-root.txt`;

  rootTest(`${driverName}: each multi.tar layer's size equals Docker's`, async () => {
    const { root, driver, sizes } = await loadLayers(driverName);
    try {
      const expected = await fixtureSizes(listing, driverName);
      sizes.forEach((size, i) => assert.is(size, expected.get(digestHex(chains[i]!)), `layer ${i}`));
    } finally {
      await driver.cleanup();
      await files.remove(root, { recursive: true });
    }
  });

  rootTest(`${driverName}: the driver's tree lists exactly as Docker's`, async () => {
    const { root, driver } = await loadLayers(driverName);
    try {
      const ours = linesUnder(await dumpRoot(root, driverName), `${driverName}/`);
      const docker = await fixtureLines(listing, `${driverName}/`);
      assert.equal(ours, docker);
    } finally {
      await driver.cleanup();
      await files.remove(root, { recursive: true });
    }
  });
}

test.run();
