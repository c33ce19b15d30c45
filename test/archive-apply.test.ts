import { test } from "uvu";
import * as assert from "uvu/assert";
import { getRuntime } from "../src/runtime/index.ts";
import { LayerExtractor, type WhiteoutMode } from "../src/archive/apply.ts";
import { TarReader } from "../src/tar/reader.ts";
import { writeTar, TypeFlag, type TarEntry } from "../src/tar/writer.ts";
import { readAll } from "../src/io/bytes.ts";
import { isWharfError } from "../src/errors.ts";
import type { FilesPort } from "../src/ports.ts";

const rt = await getRuntime();
const files = rt.files as FilesPort;
const isRoot = rt.env?.uid() === 0;
const rootTest = isRoot ? test : test.skip;
const enc = new TextEncoder();
const dec = new TextDecoder();
const MTIME = 1_700_000_000;

let base = "";
test.before(async () => {
  base = await files.makeTempDir("wharf-apply-");
});
test.after(async () => {
  await files.remove(base, { recursive: true });
});

let counter = 0;
/** A fresh layer dir with a sentinel dir beside it that no entry may touch. */
async function fresh(): Promise<{ layer: string; sentinel: string; dir: string }> {
  const dir = `${base}/case${++counter}`;
  await files.mkdir(`${dir}/layer`, { recursive: true });
  await files.mkdir(`${dir}/sentinel`);
  await files.writeFile(`${dir}/sentinel/keep`, enc.encode("keep"));
  return { dir, layer: `${dir}/layer`, sentinel: `${dir}/sentinel` };
}

function file(name: string, content: string, extra: Partial<TarEntry["header"]> = {}): TarEntry {
  const body = enc.encode(content);
  return { header: { name, typeflag: TypeFlag.reg, mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: MTIME, ...extra }, body };
}
function dir(name: string, extra: Partial<TarEntry["header"]> = {}): TarEntry {
  return { header: { name, typeflag: TypeFlag.dir, mode: 0o755, uid: 0, gid: 0, size: 0, mtime: MTIME, ...extra } };
}
function link(name: string, typeflag: string, linkname: string, mode = 0o777): TarEntry {
  return { header: { name, typeflag, linkname, mode, uid: 0, gid: 0, size: 0, mtime: MTIME } };
}

async function apply(layer: string, entries: TarEntry[], whiteouts: WhiteoutMode = "delete"): Promise<number> {
  const tar = await readAll(writeTar(entries));
  const extractor = new LayerExtractor(files, layer, { whiteouts, privileged: isRoot });
  for await (const entry of new TarReader(tar)) await extractor.apply(entry);
  return extractor.finish();
}

async function expectUnsafe(entries: TarEntry[], pattern: RegExp, whiteouts: WhiteoutMode = "delete") {
  const c = await fresh();
  try {
    await apply(c.layer, entries, whiteouts);
    assert.unreachable("should have thrown");
  } catch (e) {
    assert.ok(isWharfError(e, "UNSAFE_PATH"), `expected UNSAFE_PATH, got ${String(e)}`);
    const message = (e as Error).message;
    assert.not.match(message, /\n/);
    assert.match(message, pattern);
  }
  // Nothing outside the layer: the case dir holds only layer/ and the untouched sentinel.
  assert.equal((await files.readdir(c.dir)).sort(), ["layer", "sentinel"]);
  assert.equal(await files.readdir(c.sentinel), ["keep"]);
  assert.is(dec.decode(await files.readFile(`${c.sentinel}/keep`)), "keep");
  return c;
}

test("a name climbing out with ../ is refused", async () => {
  await expectUnsafe([file("../sentinel/evil", "x")], /"\.\.\/sentinel\/evil": path climbs out/);
  await expectUnsafe([file("a/../../sentinel/keep", "x")], /climbs out/);
});

test("an absolute name is refused", async () => {
  await expectUnsafe([file("/etc/evil", "x")], /"\/etc\/evil": absolute path/);
});

test("a write through a symlink in the layer is refused", async () => {
  const c = await expectUnsafe([link("esc", TypeFlag.symlink, "/"), file("esc/tmp/evil", "x")], /"esc" is a symlink/);
  assert.equal(await files.readdir(c.layer), ["esc"]);
  await expectUnsafe([link("d", TypeFlag.symlink, "/data"), dir("d/sub/")], /"d" is a symlink/);
});

test("a relative symlink pointing out of the layer is refused", async () => {
  await expectUnsafe([link("out", TypeFlag.symlink, "../sentinel")], /symlink to "\.\.\/sentinel" points outside/);
  await expectUnsafe([dir("a/"), link("a/out", TypeFlag.symlink, "../../sentinel/keep")], /points outside/);
});

test("a hard link to a path outside the layer is refused", async () => {
  await expectUnsafe([link("h", TypeFlag.link, "../sentinel/keep")], /hard link to "\.\.\/sentinel\/keep" outside the layer/);
  await expectUnsafe([link("h", TypeFlag.link, "/etc/passwd")], /unsafe layer entry "h": "etc" does not exist in the layer/);
  // A hard link through a symlinked directory would reach whatever it points at.
  await expectUnsafe([link("s", TypeFlag.symlink, "/etc"), link("h", TypeFlag.link, "s/passwd")], /"s" is a symlink/);
});

test("a whiteout naming .. or . is refused, in both whiteout modes", async () => {
  for (const mode of ["delete", "overlay"] as const) {
    const c = await expectUnsafe([dir("a/"), file("a/f", "f"), file("a/.wh...", "")], /whiteout names "\.\."/, mode);
    assert.equal(await files.readdir(`${c.layer}/a`), ["f"]);
    await expectUnsafe([file(".wh...", "")], /whiteout names "\.\."/, mode);
    await expectUnsafe([file("a/.wh..", "")], /whiteout names "\."/, mode);
    await expectUnsafe([file("a/.wh.", "")], /whiteout names ""/, mode);
  }
});

test("a truncated layer tar fails with a one-line error", async () => {
  const c = await fresh();
  const tar = await readAll(writeTar([file("big", "x".repeat(5000))]));
  const extractor = new LayerExtractor(files, c.layer, { whiteouts: "delete", privileged: isRoot });
  try {
    for await (const entry of new TarReader(tar.subarray(0, 2048))) await extractor.apply(entry);
    assert.unreachable("should have thrown");
  } catch (e) {
    assert.ok(isWharfError(e, "TAR_TRUNCATED"), String(e));
    assert.not.match((e as Error).message, /\n/);
  }
  assert.equal((await files.readdir(c.dir)).sort(), ["layer", "sentinel"]);
});

test("files, dirs, links, modes and times are applied; the size is the headers' sum", async () => {
  const c = await fresh();
  const size = await apply(c.layer, [
    dir("d/", { mode: 0o1777, mtime: MTIME - 100 }),
    file("d/f", "hello", { mode: 0o4755 }),
    link("d/s", TypeFlag.symlink, "f"),
    link("d/h", TypeFlag.link, "d/f", 0o4755), // a hard link header carries its inode's mode
    file("deep/er/x", "xx"),
    { header: { name: "fifo", typeflag: TypeFlag.fifo, mode: 0o640, uid: 0, gid: 0, size: 0, mtime: MTIME } },
    file("attrs", "a", { xattrs: { "user.wharf": "v1" } }),
  ]);
  assert.is(size, 5 + 2 + 1);
  const d = (await files.lstat(`${c.layer}/d`))!;
  assert.is(d.mode, 0o1777);
  assert.is(Math.floor(d.mtimeMs / 1000), MTIME - 100, "dir times are set after its entries");
  const f = (await files.lstat(`${c.layer}/d/f`))!;
  assert.is(f.mode, 0o4755);
  assert.is(Math.floor(f.mtimeMs / 1000), MTIME);
  assert.is(f.nlink, 2);
  assert.is(dec.decode(await files.readFile(`${c.layer}/d/h`)), "hello");
  assert.is(await files.readlink(`${c.layer}/d/s`), "f");
  assert.is((await files.lstat(`${c.layer}/deep/er`))!.mode, 0o755);
  assert.is((await files.lstat(`${c.layer}/fifo`))!.kind, "fifo");
  assert.is(dec.decode((await files.getxattr(`${c.layer}/attrs`, "user.wharf"))!), "v1");
});

rootTest("owners and device nodes are applied as root", async () => {
  const c = await fresh();
  await apply(c.layer, [
    file("owned", "o", { uid: 1234, gid: 5678 }),
    { header: { name: "null", typeflag: TypeFlag.char, mode: 0o666, uid: 0, gid: 0, size: 0, mtime: MTIME, devmajor: 1, devminor: 3 } },
  ]);
  const owned = (await files.lstat(`${c.layer}/owned`))!;
  assert.is(owned.uid, 1234);
  assert.is(owned.gid, 5678);
  const dev = (await files.lstat(`${c.layer}/null`))!;
  assert.is(dev.kind, "char");
  assert.is(dev.mode, 0o666);
});

test("an existing path is replaced; a dir over a dir merges", async () => {
  const c = await fresh();
  await apply(c.layer, [dir("m/"), file("m/old", "o"), file("x", "file"), link("y", TypeFlag.symlink, "/nowhere")]);
  await apply(c.layer, [dir("m/", { mode: 0o700 }), file("m/new", "n"), dir("x/"), file("y", "through?")]);
  assert.equal((await files.readdir(`${c.layer}/m`)).sort(), ["new", "old"]);
  assert.is((await files.lstat(`${c.layer}/m`))!.mode, 0o700);
  assert.is((await files.lstat(`${c.layer}/x`))!.kind, "dir");
  const y = (await files.lstat(`${c.layer}/y`))!;
  assert.is(y.kind, "file", "the symlink is replaced, not followed");
});

test("naive whiteouts delete; an opaque marker keeps only this layer's entries", async () => {
  const c = await fresh();
  await apply(c.layer, [dir("data/"), file("data/gone", "g"), dir("data/op/"), file("data/op/old", "o"), dir("data/op/sub/")]);
  await apply(c.layer, [dir("data/"), file("data/.wh.gone", ""), dir("data/op/"), file("data/op/.wh..wh..opq", ""), file("data/op/new", "n")]);
  assert.equal(await files.readdir(`${c.layer}/data`), ["op"]);
  assert.equal(await files.readdir(`${c.layer}/data/op`), ["new"]);
});

rootTest("overlay whiteouts become 0:0 char devices and the opaque xattr", async () => {
  const c = await fresh();
  await apply(c.layer, [
    dir("data/"), file("data/.wh.gone", "", { uid: 7, gid: 8 }), dir("data/op/"), file("data/op/.wh..wh..opq", ""), file("data/op/new", "n"),
    file(".wh..wh.plnk/123", "aufs"),
  ], "overlay");
  assert.equal((await files.readdir(`${c.layer}/data`)).sort(), ["gone", "op"]);
  const gone = (await files.lstat(`${c.layer}/data/gone`))!;
  assert.is(gone.kind, "char");
  assert.is(gone.rdev, 0);
  assert.is(gone.mode, 0);
  assert.is(gone.uid, 7);
  assert.is(dec.decode((await files.getxattr(`${c.layer}/data/op`, "trusted.overlay.opaque"))!), "y");
  assert.equal(await files.readdir(`${c.layer}/data/op`), ["new"]);
  assert.equal((await files.readdir(c.layer)).sort(), ["data"], "AUFS metadata is not extracted");
});

test.run();
