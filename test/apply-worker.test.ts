// Small files created on the worker thread while a layer is applied: the same tree as the inline
// path, what is in the way (a parent layer's file, under vfs) cleared on the main thread, and a
// creation the worker fails surfacing as the layer's error. Both drivers.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { getRuntime } from "../src/runtime/index.ts";
import { readAll } from "../src/io/bytes.ts";
import { DiskLayerStore } from "../src/layer/store.ts";
import type { Driver } from "../src/graphdriver/driver.ts";
import { openDriver } from "../src/graphdriver/registry.ts";
import type { FilesPort } from "../src/ports.ts";
import { writeTar, type TarEntry } from "../src/tar/writer.ts";
import { readyWorkerClient, workerClient } from "../src/worker/client.ts";

const rt = await getRuntime();
const files = rt.files as FilesPort;
const enc = new TextEncoder();
const dec = new TextDecoder();
const MTIME = 1_700_000_000;

const dir = (name: string): TarEntry => ({ header: { name: `${name}/`, typeflag: "5", mode: 0o755, uid: 0, gid: 0, size: 0, mtime: MTIME } });
const file = (name: string, text: string, mode = 0o644): TarEntry => {
  const body = enc.encode(text);
  return { header: { name, typeflag: "0", mode, uid: 0, gid: 0, size: body.length, mtime: MTIME }, body };
};
const tarOf = (entries: TarEntry[]) => readAll(writeTar(entries));
/** Enough files first that the extractor turns to the worker (it creates the first ones inline). */
const filler = (): TarEntry[] => [dir("fill"), ...Array.from({ length: 80 }, (_, i) => file(`fill/${i}`, `${i}\n`))];

let root = "";
const drivers: Driver[] = [];
test.before(async () => {
  assert.ok(await workerClient(rt.workers), `${rt.name} has no worker`);
});
test.before.each(async () => {
  root = await files.makeTempDir("wharf-applyworker-");
});
test.after.each(async () => {
  for (const driver of drivers.splice(0)) await driver.cleanup();
  await files.remove(root, { recursive: true });
});

async function open(name: string): Promise<{ store: DiskLayerStore; layerDir: (cacheID: string) => string }> {
  const driver = await openDriver({ root, name, runtime: rt });
  drivers.push(driver);
  const store = await DiskLayerStore.open({ runtime: rt, driver, root: `${root}/image/${name}/layerdb` });
  return { store, layerDir: (id) => (name === "vfs" ? `${root}/vfs/dir/${id}` : `${root}/overlay2/${id}/diff`) };
}

const cacheID = (layer: unknown) => (layer as { cacheID: string }).cacheID;

for (const name of ["overlay2", "vfs"]) {
  test(`${name}: a layer of small files is applied through the worker`, async () => {
    assert.ok(readyWorkerClient(rt.workers));
    const { store, layerDir } = await open(name);
    const entries: TarEntry[] = [dir("a")];
    for (let i = 0; i < 300; i++) entries.push(file(`a/f${i}`, `file ${i}\n`.repeat(i % 7), i % 2 ? 0o600 : 0o755));
    const tar = await tarOf(entries);
    const layer = await store.register(new Blob([tar]).stream(), undefined);
    const d = layerDir(cacheID(layer));
    for (const i of [0, 1, 150, 299]) {
      assert.is(dec.decode(await files.readFile(`${d}/a/f${i}`)), `file ${i}\n`.repeat(i % 7));
      const info = (await files.lstat(`${d}/a/f${i}`))!;
      assert.is(info.mode & 0o777, i % 2 ? 0o600 : 0o755);
      assert.is(Math.floor(info.mtimeMs / 1000), MTIME);
    }
    assert.is((await files.readdir(`${d}/a`)).length, 300);
    assert.equal(await readAll(layer.tarStream()), tar);
    await store.release(layer);
  });

  test(`${name}: a parent layer's file rewritten by the child`, async () => {
    const { store, layerDir } = await open(name);
    const base = await store.register(new Blob([await tarOf([dir("a"), ...[1, 2, 3].map((i) => file(`a/f${i}`, `base ${i}\n`))])]).stream(), undefined);
    // Under vfs the child's directory starts as a copy of the base: a/f2 is in the way.
    const child = await store.register(new Blob([await tarOf([file("a/f2", "child 2\n"), ...filler(), file("a/f3", "child 3\n"), file("a/new", "new\n")])]).stream(), base.chainID);
    const d = layerDir(cacheID(child));
    assert.is(dec.decode(await files.readFile(`${d}/a/f2`)), "child 2\n");
    assert.is(dec.decode(await files.readFile(`${d}/a/f3`)), "child 3\n");
    assert.is(dec.decode(await files.readFile(`${d}/a/new`)), "new\n");
    if (name === "vfs") assert.is(dec.decode(await files.readFile(`${d}/a/f1`)), "base 1\n");
    await store.release(child);
    await store.release(base);
  });

  test(`${name}: a parent layer's file replaced by a directory, and its directory by a file`, async () => {
    const { store, layerDir } = await open(name);
    const base = await store.register(new Blob([await tarOf([file("a", "file a\n"), dir("c"), file("c/d", "d\n")])]).stream(), undefined);
    // Under vfs both are in the way: a directory over a file, a file (made on the worker) over a directory.
    const child = await store.register(new Blob([await tarOf([...filler(), dir("a"), file("a/b", "b\n"), file("c", "now a file\n"), file("c2/e", "e\n")])]).stream(), base.chainID);
    const d = layerDir(cacheID(child));
    assert.is((await files.lstat(`${d}/a`))?.kind, "dir");
    assert.is(dec.decode(await files.readFile(`${d}/a/b`)), "b\n");
    assert.is(dec.decode(await files.readFile(`${d}/c`)), "now a file\n");
    assert.is(dec.decode(await files.readFile(`${d}/c2/e`)), "e\n");
    await store.release(child);
    await store.release(base);
  });

  test(`${name}: a file the worker cannot create fails the layer, which is not stored`, async () => {
    const { store } = await open(name);
    const long = `a/${"x".repeat(300)}`; // longer than NAME_MAX
    const tar = await tarOf([...filler(), dir("a"), file("a/ok", "ok\n"), file(long, "too long\n"), file("a/after", "after\n")]);
    let message = "";
    try {
      await store.register(new Blob([tar]).stream(), undefined);
    } catch (e) {
      message = (e as Error).message;
    }
    assert.match(message, /ENAMETOOLONG/);
    assert.is(message.split("\n").length, 1);
    assert.equal(store.list(), []);
  });
}

test.run();
