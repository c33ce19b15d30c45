import { test } from "uvu";
import * as assert from "uvu/assert";
import { getRuntime } from "../src/runtime/index.ts";
import { openDriver } from "../src/graphdriver/registry.ts";
import type { Driver } from "../src/graphdriver/driver.ts";
import { TarReader } from "../src/tar/reader.ts";
import { writeTar, TypeFlag, type TarEntry } from "../src/tar/writer.ts";
import { readAll } from "../src/io/bytes.ts";
import type { FilesPort } from "../src/ports.ts";

const rt = await getRuntime();
const files = rt.files as FilesPort;
const isRoot = rt.env?.uid() === 0;
const enc = new TextEncoder();
const dec = new TextDecoder();
const MTIME = 1_700_000_000;

const randomID = () => Array.from(rt.random.bytes(32), (b) => b.toString(16).padStart(2, "0")).join("");

function file(name: string, content: string, extra: Partial<TarEntry["header"]> = {}): TarEntry {
  const body = enc.encode(content);
  return { header: { name, typeflag: TypeFlag.reg, mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: MTIME, ...extra }, body };
}
function entry(name: string, typeflag: string, extra: Partial<TarEntry["header"]> = {}): TarEntry {
  return { header: { name, typeflag, mode: 0o755, uid: 0, gid: 0, size: 0, mtime: MTIME, ...extra } };
}

async function applyTar(driver: Driver, id: string, parent: string | undefined, entries: TarEntry[]): Promise<number> {
  const applier = await driver.applier(id, parent);
  for await (const e of new TarReader(await readAll(writeTar(entries)))) await applier.apply(e);
  return applier.finish();
}

let root = "";
let driver: Driver;
const [a, b] = [randomID(), randomID()];

test.before(async () => {
  root = await files.makeTempDir("wharf-vfs-");
  driver = await openDriver({ root, name: "vfs", runtime: rt });
});
test.after(async () => {
  await driver.cleanup();
  await files.remove(root, { recursive: true });
});

test("vfs layout: vfs/dir 0710, layer dirs 0755; get needs no mount", async () => {
  await driver.create(a, undefined);
  assert.is((await files.lstat(`${root}/vfs/dir`))!.mode, 0o710);
  assert.is((await files.lstat(`${root}/vfs/dir/${a}`))!.mode, 0o755);
  assert.is(await driver.get(a), `${root}/vfs/dir/${a}`);
  await driver.put(a);
  const size = await applyTar(driver, a, undefined, [
    entry("data/", TypeFlag.dir),
    file("data/suid", "s", { mode: 0o4755, uid: 1000, gid: 1000 }),
    file("data/gone", "gone"),
    entry("data/hard", TypeFlag.link, { linkname: "data/suid", mode: 0o4755, uid: 1000, gid: 1000 }),
    entry("data/sym", TypeFlag.symlink, { linkname: "suid", mode: 0o777 }),
    entry("data/fifo", TypeFlag.fifo, { mode: 0o600 }),
    file("data/attr", "x", { xattrs: { "user.wharf": "kept" } }),
    entry("data/op/", TypeFlag.dir),
    file("data/op/old", "o"),
  ]);
  assert.is(size, 1 + 4 + 1 + 1, "naive size: the sum of the tar headers' sizes");
});

test("a child starts as a full copy of its parent: modes, owners, times, xattrs, links", async () => {
  await driver.create(b, a);
  const from = `${root}/vfs/dir/${a}/data`;
  const to = `${root}/vfs/dir/${b}/data`;
  for (const name of ["suid", "hard", "sym", "fifo", "attr", "op", "op/old"]) {
    const x = (await files.lstat(`${from}/${name}`))!;
    const y = (await files.lstat(`${to}/${name}`))!;
    assert.is(y.kind, x.kind, name);
    assert.is(y.mode, x.mode, name);
    if (isRoot) assert.is(`${y.uid}:${y.gid}`, `${x.uid}:${x.gid}`, name);
    if (x.kind !== "dir") assert.is(Math.floor(y.mtimeMs / 1000), Math.floor(x.mtimeMs / 1000), name);
  }
  assert.is((await files.lstat(`${to}/suid`))!.mode, 0o4755);
  assert.is((await files.lstat(`${to}/suid`))!.ino, (await files.lstat(`${to}/hard`))!.ino, "hard links stay linked");
  assert.is(await files.readlink(`${to}/sym`), "suid");
  assert.is(dec.decode((await files.getxattr(`${to}/attr`, "user.wharf"))!), "kept");
  assert.is(Math.floor((await files.lstat(`${to}/op`))!.mtimeMs / 1000), MTIME, "dir times copied after their content");
});

test("naive apply: whiteouts delete, opaque dirs drop the parent's entries", async () => {
  await applyTar(driver, b, a, [
    entry("data/", TypeFlag.dir),
    file("data/.wh.gone", "", { mode: 0o600 }),
    entry("data/op/", TypeFlag.dir),
    file("data/op/.wh..wh..opq", ""),
    file("data/op/new", "new"),
    file("data/added", "added", { mtime: MTIME + 5 }),
  ]);
  const data = `${root}/vfs/dir/${b}/data`;
  assert.equal((await files.readdir(data)).sort(), ["added", "attr", "fifo", "hard", "op", "suid", "sym"]);
  assert.equal(await files.readdir(`${data}/op`), ["new"]);
});

test("naive changes, diff and size", async () => {
  const changes = await driver.changes(b, a);
  assert.equal(changes, [
    { path: "/data", kind: "C" },
    { path: "/data/added", kind: "A" },
    { path: "/data/gone", kind: "D" },
    { path: "/data/op", kind: "C" },
    { path: "/data/op/new", kind: "A" },
    { path: "/data/op/old", kind: "D" },
  ]);
  assert.is(await driver.diffSize(b, a), 5 + 3);
  const names: string[] = [];
  for await (const e of new TarReader(await readAll(driver.diff(b, a)))) {
    const h = e.header;
    names.push(`${h.name} ${h.typeflag} ${h.mode.toString(8)} ${h.size}`);
    if (h.name === "data/added") assert.is(dec.decode(await readAll(e.stream())), "added");
  }
  // ExportChanges order: by the changed path, so a deletion sits where the deleted name sorts.
  assert.equal(names, [
    "data/ 5 40755 0",
    "data/added 0 100644 5",
    "data/.wh.gone 0 0 0",
    "data/op/ 5 40755 0",
    "data/op/new 0 100644 3",
    "data/op/.wh.old 0 0 0",
  ]);
  // A base layer's diff is everything in it.
  const baseChanges = await driver.changes(a, undefined);
  assert.ok(baseChanges.every((c) => c.kind === "A"));
  assert.is(baseChanges.length, 9);
});

test("diffGetter reads regular files of the layer only", async () => {
  const getter = await driver.diffGetter(b);
  assert.is(dec.decode(await readAll((await getter.get("data/op/new")) as ReadableStream<Uint8Array>)), "new");
  assert.is(await getter.get("data/sym"), null);
  assert.is(await getter.get("data/op/old"), null);
  assert.is(await getter.get("../../../../etc/passwd"), null);
  await getter.close();
});

test("remove deletes the layer dir", async () => {
  await driver.remove(b);
  assert.not.ok(await driver.exists(b));
  assert.ok(await driver.exists(a));
});

test.run();
