import { test } from "uvu";
import * as assert from "uvu/assert";
import { getRuntime } from "../src/runtime/index.ts";
import { readAll } from "../src/io/bytes.ts";
import { digestOf } from "../src/hash/digest.ts";
import { isWharfError, WharfError } from "../src/errors.ts";
import { DiskLayerStore } from "../src/layer/store.ts";
import type { Layer } from "../src/layer/layer.ts";
import type { Driver } from "../src/graphdriver/driver.ts";
import { openDriver } from "../src/graphdriver/registry.ts";
import type { FilesPort } from "../src/ports.ts";
import { TarBuilder } from "./support/tar-builder.ts";
import { dumpRoot, fixtureLines, linesUnder, readSavedImage } from "./support/layers.ts";

const rt = await getRuntime();
const files = rt.files as FilesPort;
const image = await readSavedImage();
const encoder = new TextEncoder();

let root = "";
const drivers: Driver[] = [];
test.before.each(async () => {
  root = await files.makeTempDir("wharf-layer-");
});
test.after.each(async () => {
  for (const driver of drivers.splice(0)) await driver.cleanup();
  await files.remove(root, { recursive: true });
});

/** The layer store of `<root>/image/<name>/layerdb` over the real driver. */
async function openLayers(name: string): Promise<{ store: DiskLayerStore; driver: Driver }> {
  const driver = await openDriver({ root, name, runtime: rt });
  drivers.push(driver);
  const store = await DiskLayerStore.open({ runtime: rt, driver, root: `${root}/image/${name}/layerdb` });
  return { store, driver };
}

/** The layer directories the driver holds (test-side knowledge of the two layouts). */
async function driverDirs(name: string): Promise<string[]> {
  const home = name === "vfs" ? `${root}/vfs/dir` : `${root}/overlay2`;
  if (!(await files.lstat(home))) return [];
  return (await files.readdir(home)).filter((n) => n !== "l").sort();
}

async function registerAll(store: DiskLayerStore): Promise<Layer[]> {
  const out: Layer[] = [];
  for (const { tar, diffID } of image.layers) out.push(await store.register(tar, out[out.length - 1]?.chainID, { expectedDiffID: diffID }));
  return out;
}



for (const name of ["overlay2", "vfs"]) {
  test(`${name}: registering multi.tar's layers writes the layerdb Docker wrote`, async () => {
    const { store } = await openLayers(name);
    const layers = await registerAll(store);
    assert.equal(layers.map((l) => l.diffID), image.layers.map((l) => l.diffID));
    const got = linesUnder(await dumpRoot(root, name), `image/${name}/layerdb`);
    assert.equal(got, await fixtureLines(`multi.${name}-root.txt`, `image/${name}/layerdb`));
  });

  test(`${name}: tarStream() rebuilds every layer byte for byte`, async () => {
    const { store } = await openLayers(name);
    const layers = await registerAll(store);
    for (const [i, layer] of layers.entries()) {
      const bytes = await readAll(layer.tarStream());
      assert.is(bytes.length, image.layers[i]!.tar.length, `layer ${i} length`);
      assert.is(digestOf(rt.digests, bytes), layer.diffID, `layer ${i} digest`);
    }
  });

  test(`${name}: register with a wrong expected diffID fails and keeps nothing of the layer`, async () => {
    const { store, driver } = await openLayers(name);
    const wrong = image.layers[1]!.diffID;
    try {
      await store.register(image.layers[0]!.tar, undefined, { expectedDiffID: wrong });
      assert.unreachable("register should fail");
    } catch (e) {
      assert.ok(isWharfError(e, "DIGEST_MISMATCH"));
      assert.is((e as Error).message, `invalid diffID: expected "${wrong}", got "${image.layers[0]!.diffID}"`);
    }
    assert.equal(await files.readdir(`${root}/image/${name}/layerdb/sha256`), []);
    assert.equal(await files.readdir(`${root}/image/${name}/layerdb/tmp`), []);
    assert.equal(await driverDirs(name), []);
    assert.is(store.list().length, 0);
  });

  test(`${name}: registerChain reports Docker's message and leaves nothing of the failed chain`, async () => {
    const { store, driver } = await openLayers(name);
    const bad = image.layers.map((l, i) => ({ diffID: l.diffID, open: async () => (i === 2 ? image.layers[3]!.tar : l.tar) }));
    try {
      await store.registerChain(bad);
      assert.unreachable("registerChain should fail");
    } catch (e) {
      assert.ok(isWharfError(e, "DIGEST_MISMATCH"));
      assert.is((e as Error).message, `invalid diffID for layer 2: expected "${image.layers[2]!.diffID}", got "${image.layers[3]!.diffID}"`);
    }
    assert.equal(await files.readdir(`${root}/image/${name}/layerdb/sha256`), []);
    assert.equal(await files.readdir(`${root}/image/${name}/layerdb/tmp`), []);
    assert.equal(await driverDirs(name), []);
  });

  test(`${name}: registerChain whose third directory cannot be made fails with the driver's error, stops that input and keeps nothing`, async () => {
    const { store, driver } = await openLayers(name);
    const create = driver.create.bind(driver);
    let made = 0;
    driver.create = async (id, parent) => {
      if (++made === 3) throw new WharfError("IO", "no space left on device (injected)");
      return create(id, parent);
    };
    const cancelled: number[] = [];
    const opened: number[] = [];
    const chain = image.layers.map((l, i) => ({
      diffID: l.diffID,
      open: async () => {
        opened.push(i);
        let sent = false;
        return new ReadableStream<Uint8Array>({
          pull(controller) {
            if (sent) return controller.close();
            sent = true;
            controller.enqueue(l.tar);
          },
          cancel: () => void cancelled.push(i),
        }, { highWaterMark: 0 });
      },
    }));
    try {
      await store.registerChain(chain);
      assert.unreachable("registerChain should fail");
    } catch (e) {
      assert.ok(isWharfError(e, "IO"));
      assert.is((e as Error).message, "no space left on device (injected)");
    }
    // A layer whose directory never came is opened only where fills run beside the making of directories.
    if (opened.includes(2)) assert.ok(cancelled.includes(2), "the input of the layer without a directory is cancelled");
    assert.equal(await files.readdir(`${root}/image/${name}/layerdb/sha256`), []);
    assert.equal(await files.readdir(`${root}/image/${name}/layerdb/tmp`), []);
    assert.equal(await driverDirs(name), []);
  });

  test(`${name}: registerChain reuses existing layers without opening them`, async () => {
    const { store } = await openLayers(name);
    const first = await store.registerChain(image.layers.slice(0, 2).map((l) => ({ diffID: l.diffID, open: async () => l.tar })));
    assert.is(first.registered, 2);
    const opened: number[] = [];
    const all = await store.registerChain(image.layers.map((l, i) => ({ diffID: l.diffID, open: async () => (opened.push(i), l.tar) })));
    assert.equal(opened, [2, 3]);
    assert.is(all.reused, 2);
    assert.is(all.registered, 2);
    assert.is(all.top?.chainID, "sha256:b770c0d9c8d49061d84fe2b3b8cc9baaaab1bb414b5f32909d186148fa61bf26");
    // Releasing the second chain leaves the first one's two layers, still referenced.
    const deleted = await store.release(all.top!);
    assert.is(deleted.length, 2);
    assert.is(store.list().length, 2);
    assert.is((await store.release(first.top!)).length, 2);
    assert.is(store.list().length, 0);
  });

  test(`${name}: registering an existing chainID references the existing layer`, async () => {
    const { store, driver } = await openLayers(name);
    const a = await store.register(image.layers[0]!.tar, undefined);
    const b = await store.register(image.layers[0]!.tar, undefined);
    assert.is(a, b);
    assert.is((await driverDirs(name)).length, 1);
    assert.equal(await store.release(a), []);
    assert.equal(await store.release(b), [a.chainID]);
    assert.equal(await files.readdir(`${root}/image/${name}/layerdb/sha256`), []);
    assert.equal(await driverDirs(name), []);
  });

  test(`${name}: release walks down the chain; a shared parent stays while a child holds it`, async () => {
    const { store } = await openLayers(name);
    const [base] = await registerAll(store);
    const tops = store.list().filter((l) => l.parent === undefined);
    assert.is(tops.length, 1);
    // A second child of the base, from a generated one-file layer.
    const other = await store.register(tinyTar("other.txt", "x"), base!.chainID);
    const top = store.get("sha256:b770c0d9c8d49061d84fe2b3b8cc9baaaab1bb414b5f32909d186148fa61bf26")!;
    await store.release(top); // the get
    // Release the references registerAll took on each layer (each child holds its parent).
    for (const l of [...store.list()].reverse()) if (l !== other) await store.release(l);
    assert.equal(store.list().map((l) => l.chainID).sort(), [base!.chainID, other.chainID].sort());
    assert.equal(await store.release(other), [other.chainID, base!.chainID]);
    assert.equal(store.list(), []);
  });

  test(`${name}: restore reloads layers and cleans removing, tmp and orphan leftovers`, async () => {
    const { store, driver } = await openLayers(name);
    const layers = await registerAll(store);
    // Leftovers of a crash: a half registration, a half delete, an orphan driver dir, a broken layer.
    await files.mkdir(`${root}/image/${name}/layerdb/tmp/write-set-crashed`);
    await files.writeFile(`${root}/image/${name}/layerdb/tmp/write-set-crashed/cache-id`, encoder.encode("crashedcache"));
    await driver.create("crashedcache", undefined);
    const removing = `${root}/image/${name}/layerdb/sha256/${"a".repeat(64)}-${"b".repeat(64)}-removing`;
    await files.mkdir(removing);
    await files.writeFile(`${removing}/cache-id`, encoder.encode("deletedcache"));
    await driver.create("deletedcache", undefined);
    await driver.create("orphancache", undefined);
    const broken = `${root}/image/${name}/layerdb/sha256/${"c".repeat(64)}`;
    await files.mkdir(broken);
    await files.writeFile(`${broken}/diff`, encoder.encode("not a digest"));

    assert.ok((await driver.list()).includes("orphancache"));
    const reopened = await DiskLayerStore.open({ runtime: rt, driver, root: `${root}/image/${name}/layerdb` });
    assert.equal(reopened.list().map((l) => l.chainID).sort(), layers.map((l) => l.chainID).sort());
    const top = reopened.list().find((l) => l.chainID === layers[3]!.chainID)!;
    assert.is(top.parent?.parent?.parent?.chainID, layers[0]!.chainID);
    assert.is(top.size, name === "vfs" ? 7 : 23);
    assert.is(top.cacheID, layers[3]!.cacheID);
    assert.equal(await files.readdir(`${root}/image/${name}/layerdb/tmp`), []);
    assert.equal((await files.readdir(`${root}/image/${name}/layerdb/sha256`)).filter((n) => n.endsWith("-removing")), []);
    assert.equal((await driverDirs(name)).sort(), layers.map((l) => l.cacheID).sort());
    assert.ok(reopened.warnings.some((w) => w.includes(`sha256:${"c".repeat(64)}`)), reopened.warnings.join("\n"));
    assert.ok(reopened.warnings.some((w) => w.includes("orphancache")), reopened.warnings.join("\n"));
    // Restored layers have no references until an image takes one; a get + release deletes the chain.
    const again = reopened.get(layers[3]!.chainID)!;
    assert.is((await reopened.release(again)).length, 4);
  });
}

/** A one-file layer tar. */
function tinyTar(name: string, text: string): Uint8Array {
  return new TarBuilder().file(name, text, { mode: 0o644 }).end().bytes();
}

test.run();
