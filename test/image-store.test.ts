import { test } from "uvu";
import * as assert from "uvu/assert";
import { getRuntime } from "../src/runtime/index.ts";
import { digestOf } from "../src/hash/digest.ts";
import { isWharfError } from "../src/errors.ts";
import { DiskLayerStore } from "../src/layer/store.ts";
import { DiskImageStore } from "../src/image/store.ts";
import { rfc3339Nano } from "../src/image/config.ts";
import type { FilesPort } from "../src/ports.ts";
import { openDriver } from "../src/graphdriver/registry.ts";
import { readSavedImage } from "./support/layers.ts";

const rt = await getRuntime();
const files = rt.files as FilesPort;
const image = await readSavedImage();
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const IMAGE_ID = "sha256:0cc52890bed92f8da674eb3a91c87e255eb1cca560d2af99dc5fcce19cc9c1dd";

let root = "";
test.before.each(async () => {
  root = await files.makeTempDir("wharf-image-");
});
test.after.each(async () => {
  await files.remove(root, { recursive: true });
});

/** The image store is driver-agnostic; vfs keeps these tests free of mounts. */
async function openStores(): Promise<{ layers: DiskLayerStore; images: DiskImageStore }> {
  const driver = await openDriver({ root, name: "vfs", runtime: rt });
  const layers = await DiskLayerStore.open({ runtime: rt, driver, root: `${root}/image/vfs/layerdb` });
  const images = await DiskImageStore.open({ files, digests: rt.digests, root: `${root}/image/vfs`, layers });
  return { layers, images };
}

/**
 * Registers the fixture's first `count` layers, as load does before it creates the image; the
 * returned `done` drops load's own reference afterwards, leaving the images' references.
 */
async function loadLayers(layers: DiskLayerStore, count = image.layers.length): Promise<{ done(): Promise<void> }> {
  const { top } = await layers.registerChain(image.layers.slice(0, count).map((l) => ({ diffID: l.diffID, open: async () => l.tar })));
  return { done: async () => void (top && (await layers.release(top))) };
}

/** A config with the fixture's first `count` diffIDs and a distinguishing field. */
function configWith(count: number, tag: string): Uint8Array {
  return encoder.encode(JSON.stringify({ architecture: "amd64", os: "linux", comment: tag, rootfs: { type: "layers", diff_ids: image.layers.slice(0, count).map((l) => l.diffID) } }));
}

test("create stores the raw config with Docker's modes and its ID", async () => {
  const { layers, images } = await openStores();
  const load = await loadLayers(layers);
  const id = await images.create(image.rawConfig);
  await load.done();
  assert.is(id, IMAGE_ID);
  const path = `${root}/image/vfs/imagedb/content/sha256/${id.slice(7)}`;
  assert.equal(await files.readFile(path), image.rawConfig);
  assert.is((await files.lstat(path))?.mode, 0o600);
  for (const dir of ["imagedb", "imagedb/content", "imagedb/content/sha256", "imagedb/metadata", "imagedb/metadata/sha256"]) {
    assert.is((await files.lstat(`${root}/image/vfs/${dir}`))?.mode, 0o700, dir);
  }
  assert.equal(await files.readdir(`${root}/image/vfs/imagedb/metadata/sha256`), []);
  const stored = await images.get(id);
  assert.is(stored.topLayer, "sha256:b770c0d9c8d49061d84fe2b3b8cc9baaaab1bb414b5f32909d186148fa61bf26");
  assert.is(stored.config.os, "linux");
  assert.is(await images.create(image.rawConfig), id, "create is idempotent");
  assert.equal(images.list(), [id]);
});

test("create refuses configs whose layers are missing or that do not parse", async () => {
  const { images } = await openStores();
  const missing = await images.create(image.rawConfig).catch((e: unknown) => e);
  assert.ok(isWharfError(missing, "NOT_FOUND"), String(missing));
  assert.match((missing as Error).message, /layer sha256:b770c0d9.* of image sha256:0cc52890.* does not exist/);
  for (const [bytes, pattern] of [
    [encoder.encode("{not json"), /is not valid JSON/],
    [encoder.encode('{"os":"linux"}'), /has no rootfs/],
    [encoder.encode('{"rootfs":{"type":"layers","diff_ids":["sha256:xyz"]}}'), /invalid diff_ids\[0\]/],
    [encoder.encode("[1]"), /is not a JSON object/],
  ] as const) {
    const e = await images.create(bytes).catch((x: unknown) => x);
    assert.ok(isWharfError(e, "INVALID_ARGUMENT"), String(e));
    assert.match((e as Error).message, pattern);
    assert.not.match((e as Error).message, /\n/);
  }
  assert.equal(images.list(), []);
  assert.equal(await files.readdir(`${root}/image/vfs/imagedb/content/sha256`), []);
});

test("shared layers survive deleting one image and go with the last", async () => {
  const { layers, images } = await openStores();
  const load = await loadLayers(layers);
  const full = await images.create(image.rawConfig);
  const partial = await images.create(configWith(2, "partial"));
  await load.done();
  assert.is(layers.list().length, 4);
  const deletedFirst = await images.delete(full);
  assert.is(deletedFirst.length, 2, "the two layers only the full image used");
  assert.is(layers.list().length, 2);
  assert.equal(await images.delete(partial), [
    "sha256:bfbe4fe62483af28541e11999a0f7b1cd1880876b20d4539f27387948a2f310a",
    "sha256:efc4091740f74c3d40168b57d2fa06a517dae6d39bd0666da2cd8652c2681614",
  ]);
  assert.equal(layers.list(), []);
  assert.equal(await files.readdir(`${root}/image/vfs/layerdb/sha256`), []);
  assert.equal(await files.readdir(`${root}/image/vfs/imagedb/content/sha256`), []);
  assert.equal(await files.readdir(`${root}/vfs/dir`), []);
});

test("reopening rebuilds layer references from images", async () => {
  {
    const { layers, images } = await openStores();
    const load = await loadLayers(layers);
    await images.create(image.rawConfig);
    await images.create(configWith(2, "partial"));
    await load.done();
  }
  const { layers, images } = await openStores();
  assert.is(images.list().length, 2);
  await images.delete(IMAGE_ID);
  assert.is(layers.list().length, 2);
  await images.delete(images.list()[0]!);
  assert.equal(layers.list(), []);
});

test("search by full ID, hex, unique prefix; ambiguous prefixes fail", async () => {
  const { images } = await openStores();
  // Configs without layers: enough of them that two share a first hex digit.
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) ids.push(await images.create(encoder.encode(`{"comment":"${i}","rootfs":{"type":"layers","diff_ids":[]}}`)));
  for (const id of ids) {
    assert.is(images.search(id), id);
    assert.is(images.search(id.slice(7)), id);
    const unique = uniquePrefix(id, ids);
    assert.is(images.search(unique), id);
    assert.is(images.search(`sha256:${unique}`), id);
  }
  const shared = ids.map((id) => id[7]!).find((c, i, all) => all.indexOf(c) !== i)!;
  const ambiguous = (() => {
    try {
      images.search(shared);
    } catch (e) {
      return e as Error;
    }
  })();
  assert.is(ambiguous?.message, `image ID prefix ${shared} is ambiguous`);
  assert.throws(() => images.search("zz"), (e: unknown) => isWharfError(e, "INVALID_ARGUMENT"));
  const absent = "0123456789abcdef".split("").find((c) => !ids.some((id) => id[7] === c));
  if (absent) assert.throws(() => images.search(absent), (e: unknown) => isWharfError(e, "NOT_FOUND"));
});

test("a corrupted content file fails its digest check and is skipped on reopen", async () => {
  const { images } = await openStores();
  const raw = encoder.encode('{"rootfs":{"type":"layers","diff_ids":[]}}');
  const id = await images.create(raw);
  assert.is(id, digestOf(rt.digests, raw));
  const path = `${root}/image/vfs/imagedb/content/sha256/${id.slice(7)}`;
  await files.writeFile(path, encoder.encode('{"rootfs":{"type":"layers","diff_ids":[]},"x":1}'));
  const e = await images.get(id).catch((x: unknown) => x);
  assert.ok(isWharfError(e, "DIGEST_MISMATCH"), String(e));
  assert.match((e as Error).message, /failed its digest check: content hashes to sha256:/);
  const { images: reopened } = await openStores();
  assert.equal(reopened.list(), []);
  assert.ok(reopened.warnings.some((w) => w.includes(id) && w.includes("digest check")), reopened.warnings.join("\n"));
});

test("metadata: parent, lastUpdated and builtLocally files, 0600, only when set", async () => {
  const { images } = await openStores();
  const parent = await images.create(encoder.encode('{"comment":"p","rootfs":{"type":"layers","diff_ids":[]}}'));
  const child = await images.create(encoder.encode('{"comment":"c","rootfs":{"type":"layers","diff_ids":[]}}'));
  assert.is(await images.getParent(child), undefined);
  await images.setParent(child, parent);
  const when = rfc3339Nano({ seconds: 1_700_000_000, nanos: 120_000_000 });
  assert.is(when, "2023-11-14T22:13:20.12Z");
  assert.is(rfc3339Nano({ seconds: 0, nanos: 0 }), "1970-01-01T00:00:00Z");
  await images.setLastUpdated(child, when);
  await images.setBuiltLocally(child);
  const dir = `${root}/image/vfs/imagedb/metadata/sha256/${child.slice(7)}`;
  assert.equal((await files.readdir(dir)).sort(), ["builtLocally", "lastUpdated", "parent"]);
  assert.is(decoder.decode(await files.readFile(`${dir}/parent`)), parent);
  assert.equal(await files.readFile(`${dir}/builtLocally`), new Uint8Array([1]));
  for (const name of ["builtLocally", "lastUpdated", "parent"]) assert.is((await files.lstat(`${dir}/${name}`))?.mode, 0o600, name);
  assert.is((await files.lstat(dir))?.mode, 0o700);
  assert.equal(images.children(parent), [child]);
  const { images: reopened } = await openStores();
  assert.is(await reopened.getParent(child), parent);
  assert.equal(reopened.children(parent), [child]);
  assert.is(await reopened.getLastUpdated(child), when);
  assert.ok(await reopened.isBuiltLocally(child));
  await reopened.delete(parent);
  assert.is(await reopened.getParent(child), undefined);
  assert.equal((await files.readdir(dir)).sort(), ["builtLocally", "lastUpdated"]);
});

function uniquePrefix(id: string, all: string[]): string {
  for (let n = 1; ; n++) {
    const p = id.slice(7, 7 + n);
    if (all.filter((x) => x.startsWith(`sha256:${p}`)).length === 1) return p;
  }
}

test.run();
