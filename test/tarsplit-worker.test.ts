// Layer tars reassembled with their file reads and CRC-64 checks on a worker thread (layers of
// 8 MiB and more): the same bytes as registered, and the same errors, in stream order, as the
// inline path, for files changed on disk after registration. Both drivers.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { getRuntime } from "../src/runtime/index.ts";
import { concatBytes, readAll } from "../src/io/bytes.ts";
import { DiskLayerStore } from "../src/layer/store.ts";
import type { Layer } from "../src/layer/layer.ts";
import type { Driver } from "../src/graphdriver/driver.ts";
import { openDriver } from "../src/graphdriver/registry.ts";
import type { FilesPort } from "../src/ports.ts";
import { writeTar, type TarEntry } from "../src/tar/writer.ts";
import { crcOffload } from "../src/worker/crc-offload.ts";
import { writeStreamTo } from "../src/io/file-stream.ts";
import { layerTarChunks } from "../src/io/chunk-pool.ts";

const rt = await getRuntime();
const files = rt.files as FilesPort;
const enc = new TextEncoder();
const MTIME = 1_700_000_000;

/** Bytes that differ from position to position (a shifted byte must change the CRC). */
function pattern(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed | 1;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const dir = (name: string): TarEntry => ({ header: { name: `${name}/`, typeflag: "5", mode: 0o755, uid: 0, gid: 0, size: 0, mtime: MTIME } });
const file = (name: string, body: Uint8Array): TarEntry => ({ header: { name, typeflag: "0", mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: MTIME }, body });

/** ~9.5 MiB: two files larger than a chunk (one spans many), 300 small ones, a link and a symlink. */
function layerEntries(): TarEntry[] {
  const entries: TarEntry[] = [dir("big"), file("big/a.bin", pattern(9 << 20, 1)), file("big/b.bin", pattern((1 << 20) + 777, 2)), dir("small")];
  for (let d = 0; d < 6; d++) {
    entries.push(dir(`small/${d}`));
    for (let f = 0; f < 50; f++) entries.push(file(`small/${d}/f${f}.txt`, pattern((d * 50 + f) * 37 % 4000, d * 100 + f)));
  }
  entries.push({ header: { name: "small/link", typeflag: "1", linkname: "small/0/f1.txt", mode: 0o644, uid: 0, gid: 0, size: 0, mtime: MTIME } });
  entries.push({ header: { name: "small/sym", typeflag: "2", linkname: "0/f2.txt", mode: 0o777, uid: 0, gid: 0, size: 0, mtime: MTIME } });
  entries.push(file("tail.txt", enc.encode("last file\n")));
  return entries;
}

const layerTar = await readAll(writeTar(layerEntries()));

let root = "";
const drivers: Driver[] = [];
test.before.each(async () => {
  root = await files.makeTempDir("wharf-tsworker-");
});
test.after.each(async () => {
  for (const driver of drivers.splice(0)) await driver.cleanup();
  await files.remove(root, { recursive: true });
});

async function registered(name: string): Promise<{ store: DiskLayerStore; layer: Layer; diff: string }> {
  const driver = await openDriver({ root, name, runtime: rt });
  drivers.push(driver);
  const store = await DiskLayerStore.open({ runtime: rt, driver, root: `${root}/image/${name}/layerdb` });
  const layer = await store.register(new Blob([layerTar]).stream(), undefined);
  const cacheID = (layer as unknown as { cacheID: string }).cacheID;
  const diff = name === "vfs" ? `${root}/vfs/dir/${cacheID}` : `${root}/overlay2/${cacheID}/diff`;
  return { store, layer, diff };
}

async function failure(stream: ReadableStream<Uint8Array>): Promise<string> {
  try {
    await readAll(stream);
  } catch (e) {
    return (e as Error).message;
  }
  return "no error";
}

test("this runtime starts the worker", async () => {
  assert.ok(await crcOffload(rt.workers), `${rt.name} has no worker`);
});

for (const name of ["overlay2", "vfs"]) {
  test(`${name}: a layer reassembled through the worker is byte-identical`, async () => {
    const { store, layer } = await registered(name);
    assert.ok(layer.size >= 8 << 20);
    const got = await readAll(layer.tarStream());
    assert.is(got.length, layerTar.length);
    assert.ok(got.every((b, i) => b === layerTar[i]), "reassembled bytes differ");
    // Two reassemblies at once share the worker: a file spanning chunks keeps its own CRC.
    const [x, y] = await Promise.all([readAll(layer.tarStream()), readAll(layer.tarStream())]);
    assert.ok(x.every((b, i) => b === layerTar[i]) && y.every((b, i) => b === layerTar[i]));
    await store.release(layer);
  });

  test(`${name}: files changed on disk fail in stream order, naming the file`, async () => {
    const { store, layer, diff } = await registered(name);
    // A byte flipped in a small file the worker reads.
    const small = `${diff}/small/3/f7.txt`;
    const original = await files.readFile(small);
    await files.writeFile(small, concatBytes([original.subarray(0, 10), new Uint8Array([original[10]! ^ 1]), original.subarray(11)]));
    assert.is(await failure(layer.tarStream()), 'tar-split: file "small/3/f7.txt" fails its CRC-64 check');
    // An earlier file (in a large one, checked in pieces) fails first.
    const big = `${diff}/big/a.bin`;
    const bigBytes = await files.readFile(big);
    bigBytes[5 << 20] ^= 0x80;
    await files.writeFile(big, bigBytes);
    assert.is(await failure(layer.tarStream()), 'tar-split: file "big/a.bin" fails its CRC-64 check');
    bigBytes[5 << 20] ^= 0x80;
    await files.writeFile(big, bigBytes);
    // Shorter, longer and missing small files.
    await files.writeFile(small, original.subarray(0, original.length - 3));
    assert.is(await failure(layer.tarStream()), 'tar-split: file "small/3/f7.txt" is 3 bytes shorter than recorded');
    await files.writeFile(small, concatBytes([original, enc.encode("x")]));
    assert.is(await failure(layer.tarStream()), 'tar-split: file "small/3/f7.txt" is longer than recorded');
    await files.remove(small);
    assert.is(await failure(layer.tarStream()), 'tar-split: file "small/3/f7.txt" is missing');
    // Whatever is not a regular file is missing too: a symlink to the same bytes, a directory, a FIFO (read without waiting).
    await files.writeFile(`${root}/same.txt`, original);
    await files.symlink(`${root}/same.txt`, small);
    assert.is(await failure(layer.tarStream()), 'tar-split: file "small/3/f7.txt" is missing');
    await files.remove(small);
    await files.mkdir(small);
    assert.is(await failure(layer.tarStream()), 'tar-split: file "small/3/f7.txt" is missing');
    await files.remove(small, { recursive: true });
    await files.mknod(small, "fifo", 0o644, 0, 0);
    assert.is(await failure(layer.tarStream()), 'tar-split: file "small/3/f7.txt" is missing');
    await files.remove(small);
    await files.writeFile(small, original);
    assert.ok((await readAll(layer.tarStream())).every((b, i) => b === layerTar[i]), "restored layer differs");
    // A parent directory swapped for a symlink is not followed out of the layer.
    await files.rename(`${diff}/small/4`, `${root}/outside`);
    await files.symlink(`${root}/outside`, `${diff}/small/4`);
    assert.is(await failure(layer.tarStream()), 'tar-split: file "small/4/f0.txt" is missing');
    await store.release(layer);
  });

  test(`${name}: large files read in pieces fail as whole ones do`, async () => {
    const { store, layer, diff } = await registered(name);
    // a.bin is exactly 9 chunks (its end is probed); b.bin ends 777 bytes into a chunk.
    for (const big of ["big/a.bin", "big/b.bin"]) {
      const path = `${diff}/${big}`;
      const original = await files.readFile(path);
      await files.writeFile(path, original.subarray(0, original.length - 5));
      assert.is(await failure(layer.tarStream()), `tar-split: file "${big}" is 5 bytes shorter than recorded`);
      await files.writeFile(path, original.subarray(0, 1 << 19));
      assert.is(await failure(layer.tarStream()), `tar-split: file "${big}" is ${original.length - (1 << 19)} bytes shorter than recorded`);
      await files.writeFile(path, concatBytes([original, enc.encode("x")]));
      assert.is(await failure(layer.tarStream()), `tar-split: file "${big}" is longer than recorded`);
      await files.remove(path);
      assert.is(await failure(layer.tarStream()), `tar-split: file "${big}" is missing`);
      await files.writeFile(`${root}/same.bin`, original);
      await files.symlink(`${root}/same.bin`, path);
      assert.is(await failure(layer.tarStream()), `tar-split: file "${big}" is missing`);
      await files.remove(path);
      await files.mknod(path, "fifo", 0o644, 0, 0);
      assert.is(await failure(layer.tarStream()), `tar-split: file "${big}" is missing`);
      await files.remove(path);
      await files.mkdir(path);
      assert.is(await failure(layer.tarStream()), `tar-split: file "${big}" is missing`);
      await files.remove(path, { recursive: true });
      await files.writeFile(path, original);
    }
    assert.ok((await readAll(layer.tarStream())).every((b, i) => b === layerTar[i]), "restored layer differs");
    await store.release(layer);
  });

  test(`${name}: written with its chunks recycled (as save -o does), the layer is byte-identical, again and again`, async () => {
    const { store, layer } = await registered(name);
    for (let i = 0; i < 3; i++) {
      const out = `${root}/layer-${i}.tar`;
      const handle = await files.open(out, "w", 0o644);
      await writeStreamTo(handle, layer.tarStream(), { recycle: (c) => layerTarChunks.release(c) });
      await handle.close();
      const got = await files.readFile(out);
      assert.is(got.length, layerTar.length);
      assert.ok(got.every((b, k) => b === layerTar[k]), `write ${i} differs`);
    }
    await store.release(layer);
  });

  test(`${name}: a consumer that stops early leaves the worker usable`, async () => {
    const { store, layer } = await registered(name);
    const reader = layer.tarStream().getReader();
    await reader.read(); // the first chunk: inside big/a.bin, whose CRC stays open
    await reader.cancel();
    assert.ok((await readAll(layer.tarStream())).every((b, i) => b === layerTar[i]));
    await store.release(layer);
  });
}

test.run();
