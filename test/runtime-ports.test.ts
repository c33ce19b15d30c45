import { test } from "uvu";
import * as assert from "uvu/assert";
import { getRuntime } from "../src/runtime/index.ts";
import { isWharfError } from "../src/errors.ts";
import { writeStreamTo } from "../src/io/file-stream.ts";
import type { FilesPort, ProcessesPort } from "../src/ports.ts";

const rt = await getRuntime();
const files = rt.files as FilesPort;
const processes = rt.processes as ProcessesPort;
const enc = new TextEncoder();
const dec = new TextDecoder();
const isRoot = rt.env?.uid() === 0;
// trusted.* needs CAP_SYS_ADMIN; user.* works for anyone on a regular file or dir.
const xattrNs = isRoot ? "trusted" : "user";
if (!isRoot) console.log(`runtime-ports: not root on ${rt.name}: lchown to other ids and mknod of devices are skipped; xattrs use user.*`);
const rootTest = isRoot ? test : test.skip;

let dir = "";
test.before(async () => {
  dir = await files.makeTempDir("wharf-ports-");
});
test.after(async () => {
  await files.remove(dir, { recursive: true });
});

async function rejectsWith(p: Promise<unknown>, code: string, errno: string): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.ok(isWharfError(e), `not a WharfError: ${e}`);
    assert.is(e.code, code);
    assert.is(e.errno, errno);
    return;
  }
  assert.unreachable(`expected ${code}/${errno}`);
}

test("runtime is detected and cached", async () => {
  assert.is(await getRuntime(), rt);
  const expected = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
  assert.is(rt.name, expected);
});

test("write, read, open with positions", async () => {
  await files.writeFile(`${dir}/f`, enc.encode("hello world"));
  assert.is(dec.decode(await files.readFile(`${dir}/f`)), "hello world");
  const h = await files.open(`${dir}/f`, "w");
  await h.write(enc.encode("abcdef"));
  await h.write(enc.encode("XY"), 2);
  await h.sync();
  await h.close();
  assert.is(dec.decode(await files.readFile(`${dir}/f`)), "abXYef");
  const r = await files.open(`${dir}/f`, "r");
  const buf = new Uint8Array(3);
  assert.is(await r.read(buf, 3), 3);
  assert.is(dec.decode(buf), "Yef");
  assert.is(await r.read(buf, 6), 0);
  await r.close();
  const a = await files.open(`${dir}/f`, "a");
  await a.write(enc.encode("!"));
  await a.close();
  assert.is(dec.decode(await files.readFile(`${dir}/f`)), "abXYef!");
  await rejectsWith(files.open(`${dir}/f`, "wx"), "IO", "EEXIST");
  await rejectsWith(files.readFile(`${dir}/missing`), "IO", "ENOENT");
});

test("writeSync writes at the file offset, after and before async writes; writeStreamTo the same either way", async () => {
  const h = await files.open(`${dir}/ws`, "w");
  assert.ok(h.writeSync, `${rt.name} files have a blocking write`);
  await h.write(enc.encode("ab"));
  h.writeSync!(enc.encode("cdef"));
  await h.write(enc.encode("g"));
  await h.close();
  assert.is(dec.decode(await files.readFile(`${dir}/ws`)), "abcdefg");
  const chunks = Array.from({ length: 40 }, (_, i) => enc.encode(`chunk ${i};`.repeat(i + 1)));
  const stream = () => new ReadableStream<Uint8Array>({ start(c) { for (const x of chunks) c.enqueue(x); c.close(); } });
  const blocking = await files.open(`${dir}/ws1`, "w");
  await writeStreamTo(blocking, stream());
  await blocking.close();
  const plain = await files.open(`${dir}/ws2`, "w");
  await writeStreamTo({ read: plain.read, write: plain.write, sync: plain.sync, close: plain.close }, stream()); // the async path
  await plain.close();
  const want = chunks.map((c) => dec.decode(c)).join("");
  assert.is(dec.decode(await files.readFile(`${dir}/ws1`)), want);
  assert.is(dec.decode(await files.readFile(`${dir}/ws2`)), want);
});

test("writeFile: perm applies to a new file only; an existing file keeps its mode", async () => {
  const path = `${dir}/perm.txt`;
  await files.writeFile(path, enc.encode("one"), 0o600);
  assert.is((await files.lstat(path))!.mode & 0o777, 0o600);
  await files.chmod(path, 0o640);
  await files.writeFile(path, enc.encode("two"), 0o600);
  await files.writeFile(path, enc.encode("three"));
  assert.is((await files.lstat(path))!.mode & 0o777, 0o640);
  assert.is(dec.decode(await files.readFile(path)), "three");
});

test("lstat kinds, stat follows symlinks, missing is null", async () => {
  await files.mkdir(`${dir}/kinds/sub`, { recursive: true });
  await files.writeFile(`${dir}/kinds/file`, enc.encode("12345"));
  await files.symlink("file", `${dir}/kinds/link`);
  await files.mknod(`${dir}/kinds/pipe`, "fifo", 0o644, 0, 0);
  assert.is((await files.lstat(`${dir}/kinds/file`))?.kind, "file");
  assert.is((await files.lstat(`${dir}/kinds/file`))?.size, 5);
  assert.is((await files.lstat(`${dir}/kinds/sub`))?.kind, "dir");
  assert.is((await files.lstat(`${dir}/kinds/link`))?.kind, "symlink");
  assert.is((await files.stat(`${dir}/kinds/link`))?.kind, "file");
  assert.is((await files.lstat(`${dir}/kinds/pipe`))?.kind, "fifo");
  assert.is(await files.lstat(`${dir}/kinds/nope`), null);
  assert.is(await files.stat(`${dir}/kinds/nope`), null);
  assert.equal((await files.readdir(`${dir}/kinds`)).sort(), ["file", "link", "pipe", "sub"]);
});

test("symlink, readlink, hard link and nlink", async () => {
  await files.writeFile(`${dir}/orig`, enc.encode("x"));
  await files.symlink("../somewhere/else", `${dir}/sym`);
  assert.is(await files.readlink(`${dir}/sym`), "../somewhere/else");
  await files.link(`${dir}/orig`, `${dir}/hard`);
  const a = await files.lstat(`${dir}/orig`);
  const b = await files.lstat(`${dir}/hard`);
  assert.is(a?.nlink, 2);
  assert.is(a?.ino, b?.ino);
  assert.is(a?.dev, b?.dev);
});

test("mkdir mode, chmod with set-id and sticky bits", async () => {
  await files.mkdir(`${dir}/modes`, { mode: 0o700 });
  assert.is((await files.lstat(`${dir}/modes`))?.mode, 0o700);
  await files.writeFile(`${dir}/modes/f`, new Uint8Array(0));
  await files.chmod(`${dir}/modes/f`, 0o4751);
  assert.is((await files.lstat(`${dir}/modes/f`))?.mode, 0o4751);
  await files.chmod(`${dir}/modes`, 0o1777);
  assert.is((await files.lstat(`${dir}/modes`))?.mode, 0o1777);
});

test("lutimes sets the link's own times, not its target's", async () => {
  await files.writeFile(`${dir}/t-target`, enc.encode("t"));
  await files.symlink("t-target", `${dir}/t-link`);
  const before = (await files.lstat(`${dir}/t-target`))?.mtimeMs;
  await files.lutimes(`${dir}/t-link`, 1_000_000_000_000, 1_234_567_890_500);
  assert.is((await files.lstat(`${dir}/t-link`))?.mtimeMs, 1_234_567_890_500);
  assert.is((await files.lstat(`${dir}/t-target`))?.mtimeMs, before);
  await files.lutimes(`${dir}/t-target`, 0, 86_400_000);
  assert.is((await files.lstat(`${dir}/t-target`))?.mtimeMs, 86_400_000);
});

rootTest("lchown changes the link, not its target", async () => {
  await files.writeFile(`${dir}/o-target`, enc.encode("o"));
  await files.symlink("o-target", `${dir}/o-link`);
  await files.lchown(`${dir}/o-link`, 1234, 5678);
  const link = await files.lstat(`${dir}/o-link`);
  assert.equal([link?.uid, link?.gid], [1234, 5678]);
  const target = await files.lstat(`${dir}/o-target`);
  assert.equal([target?.uid, target?.gid], [0, 0]);
});

rootTest("mknod char 0:0 (an overlay whiteout) and char 1:3", async () => {
  await files.mknod(`${dir}/wh`, "char", 0o600, 0, 0);
  const wh = await files.lstat(`${dir}/wh`);
  assert.is(wh?.kind, "char");
  assert.is(wh?.rdev, 0);
  assert.is(wh?.mode, 0o600);
  await files.mknod(`${dir}/null`, "char", 0o666, 1, 3);
  const dev = await files.lstat(`${dir}/null`);
  assert.is(dev?.kind, "char");
  assert.is(dev?.rdev, (1 << 8) | 3); // makedev(1, 3)
  assert.is(dev?.mode, 0o666);
  await files.mknod(`${dir}/blk`, "block", 0o640, 7, 300);
  const blk = await files.lstat(`${dir}/blk`);
  assert.is(blk?.kind, "block");
  assert.is(blk?.rdev, (7 << 8) | (300 & 0xff) | ((300 & ~0xff) << 12));
});

test("xattrs: set, get, list, binary and empty values, absent is null", async () => {
  const target = `${dir}/x`;
  await files.mkdir(target);
  await files.setxattr(target, `${xattrNs}.overlay.opaque`, enc.encode("y"));
  await files.setxattr(target, `${xattrNs}.bin`, new Uint8Array([0, 255, 10, 65]));
  await files.setxattr(target, `${xattrNs}.empty`, new Uint8Array(0));
  assert.equal(await files.getxattr(target, `${xattrNs}.overlay.opaque`), enc.encode("y"));
  assert.equal(await files.getxattr(target, `${xattrNs}.bin`), new Uint8Array([0, 255, 10, 65]));
  assert.equal(await files.getxattr(target, `${xattrNs}.empty`), new Uint8Array(0));
  assert.is(await files.getxattr(target, `${xattrNs}.absent`), null);
  const names = (await files.listxattr(target)).filter((n) => n.startsWith(`${xattrNs}.`)).sort();
  assert.equal(names, [`${xattrNs}.bin`, `${xattrNs}.empty`, `${xattrNs}.overlay.opaque`]);
  await files.writeFile(`${dir}/plain`, new Uint8Array(0));
  assert.equal((await files.listxattr(`${dir}/plain`)).filter((n) => n.startsWith(`${xattrNs}.`)), []);
  await rejectsWith(files.getxattr(`${dir}/no-such-file`, `${xattrNs}.a`), "IO", "ENOENT");
});

test("lstatDir: every entry with its lstat, symlinks not followed", async () => {
  if (!files.lstatDir) return;
  await files.mkdir(`${dir}/ld/sub`, { recursive: true });
  await files.writeFile(`${dir}/ld/f`, enc.encode("123"));
  await files.symlink("f", `${dir}/ld/l`);
  const got = (await files.lstatDir(`${dir}/ld`)).sort((a, b) => (a.name < b.name ? -1 : 1));
  assert.equal(got.map((e) => [e.name, e.info.kind]), [["f", "file"], ["l", "symlink"], ["sub", "dir"]]);
  assert.equal(got[0]!.info, await files.lstat(`${dir}/ld/f`));
  await rejectsWith(files.lstatDir(`${dir}/ld/missing`), "IO", "ENOENT");
});

test("createFile: content, exact mode, owner and times; EEXIST when present", async () => {
  if (!files.createFile) return;
  const path = `${dir}/created`;
  const owner = isRoot ? { uid: 1234, gid: 5678 } : undefined;
  await files.createFile(path, enc.encode("body"), { mode: 0o4751, owner, atimeMs: 1_700_000_100_500, mtimeMs: 1_700_000_000_250 });
  assert.is(dec.decode(await files.readFile(path)), "body");
  const info = (await files.lstat(path))!;
  assert.is(info.mode, 0o4751);
  assert.is(info.mtimeMs, 1_700_000_000_250);
  if (owner) assert.equal([info.uid, info.gid], [1234, 5678]);
  await rejectsWith(files.createFile(path, new Uint8Array(0), { mode: 0o644, atimeMs: 0, mtimeMs: 0 }), "IO", "EEXIST");
});

test("blocking ops: the same contracts as the async calls", async () => {
  const b = files.blocking;
  if (!b) return assert.unreachable(`${rt.name} offers no blocking calls`);
  const base = `${dir}/blocking`;
  await b.mkdir(base, { mode: 0o750 });
  assert.is((await files.lstat(base))?.kind, "dir");
  await Promise.all([rejectsWith(b.mkdir(base), "IO", "EEXIST"), rejectsWith(b.mkdir(`${base}/no/such`), "IO", "ENOENT")]);
  await b.mkdir(`${base}/deep/er`, { recursive: true });
  assert.is((await b.lstat(`${base}/deep/er`))?.kind, "dir");
  assert.is(await b.lstat(`${base}/missing`), null);
  await files.writeFile(`${base}/f`, enc.encode("x"));
  await b.chmod(`${base}/f`, 0o4751);
  assert.is((await b.lstat(`${base}/f`))?.mode, 0o4751);
  await b.symlink("f", `${base}/s`);
  assert.is((await b.lstat(`${base}/s`))?.kind, "symlink");
  await b.link(`${base}/f`, `${base}/h`);
  assert.is((await b.lstat(`${base}/h`))?.nlink, 2);
  await Promise.all([rejectsWith(b.link(`${base}/f`, `${base}/h`), "IO", "EEXIST"), rejectsWith(b.symlink("f", `${base}/s`), "IO", "EEXIST")]);
  await b.lutimes(`${base}/s`, 1_700_000_000_000, 1_600_000_000_500);
  assert.is((await b.lstat(`${base}/s`))?.mtimeMs, 1_600_000_000_500);
  assert.is.not((await b.lstat(`${base}/f`))?.mtimeMs, 1_600_000_000_500, "the target keeps its times");
  if (isRoot) {
    await b.lchown(`${base}/s`, 1234, 5678);
    assert.equal([(await b.lstat(`${base}/s`))?.uid, (await b.lstat(`${base}/f`))?.uid], [1234, 0]);
  }
  await rejectsWith(b.chmod(`${base}/missing`, 0o644), "IO", "ENOENT");
  assert.match(String(await b.chmod(`${base}/missing`, 0o644).catch((e: Error) => e.message)), `${base}/missing`);
});

test("rename and remove (recursive and not)", async () => {
  await files.mkdir(`${dir}/tree/a/b`, { recursive: true });
  await files.writeFile(`${dir}/tree/a/b/f`, enc.encode("deep"));
  await files.rename(`${dir}/tree/a`, `${dir}/tree/moved`);
  assert.is(await files.lstat(`${dir}/tree/a`), null);
  assert.is(dec.decode(await files.readFile(`${dir}/tree/moved/b/f`)), "deep");
  await rejectsWith(files.remove(`${dir}/tree/moved`), "IO", "ENOTEMPTY");
  await files.remove(`${dir}/tree/moved/b/f`);
  assert.is(await files.lstat(`${dir}/tree/moved/b/f`), null);
  await files.remove(`${dir}/tree`, { recursive: true });
  assert.is(await files.lstat(`${dir}/tree`), null);
  await rejectsWith(files.remove(`${dir}/tree`), "IO", "ENOENT");
});

test("a recursive remove is not thrown off by an entry going meanwhile", async () => {
  for (let i = 0; i < 60; i++) {
    const tree = `${dir}/racing-${i}`;
    await files.mkdir(`${tree}/diff/a`, { recursive: true });
    for (const name of ["committed", "link", "lower"]) await files.writeFile(`${tree}/${name}`, enc.encode("x"));
    const [removed] = await Promise.allSettled([files.remove(tree, { recursive: true }), files.remove(`${tree}/committed`)]);
    assert.is(removed.status, "fulfilled", `pass ${i}: ${(removed as PromiseRejectedResult).reason}`);
    assert.is(await files.lstat(tree), null);
  }
});

test("makeTempDir under a parent", async () => {
  const a = await files.makeTempDir("t-", dir);
  const b = await files.makeTempDir("t-", dir);
  assert.is.not(a, b);
  assert.ok(a.startsWith(`${dir}/t-`), a);
  assert.is((await files.lstat(a))?.kind, "dir");
});

test("processes: stdin, stdout, stderr, exit code, cwd, env", async () => {
  const big = new Uint8Array(1 << 20).map((_, i) => i * 7);
  const cat = await processes.run("cat", [], { stdin: big });
  assert.is(cat.code, 0);
  assert.equal(cat.stdout, big);
  const failing = await processes.run("ls", [`${dir}/definitely-missing`]);
  assert.is.not(failing.code, 0);
  assert.ok(dec.decode(failing.stderr).includes("definitely-missing"));
  const pwd = await processes.run("pwd", [], { cwd: dir });
  assert.is(dec.decode(pwd.stdout).trim(), dir);
  const env = await processes.run("env", [], { env: { WHARF_PORT_TEST: "yes" } });
  assert.ok(dec.decode(env.stdout).includes("WHARF_PORT_TEST=yes"));
  assert.ok(dec.decode(env.stdout).includes("PATH="), "the parent's environment is kept");
  await rejectsWith(processes.run("wharf-no-such-program", []), "PROCESS", "ENOENT");
});

test("clock: wall time with nanoseconds, monotonic time", async () => {
  const { seconds, nanos } = rt.clock.now();
  assert.ok(Math.abs(seconds * 1000 + nanos / 1e6 - Date.now()) < 2000);
  assert.ok(Number.isInteger(nanos) && nanos >= 0 && nanos < 1e9, String(nanos));
  const t0 = rt.clock.monotonicMs();
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(rt.clock.monotonicMs() - t0 >= 15);
});

test("random: lengths and variation", () => {
  assert.is(rt.random.bytes(0).length, 0);
  const big = rt.random.bytes(200_000); // more than one getRandomValues call
  assert.is(big.length, 200_000);
  assert.ok(big.subarray(150_000).some((b) => b !== 0));
  assert.not.equal(rt.random.bytes(32), rt.random.bytes(32));
});

test("digests and compression are wired", async () => {
  const d = rt.digests.sha256();
  d.update(enc.encode("a"));
  d.update(enc.encode("bc"));
  assert.is(d.hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert.is(rt.digests.kind, "native");
  assert.type(rt.compression.gunzip, "function");
});

test("env and stdio", async () => {
  const env = rt.env!;
  assert.ok(Array.isArray(env.args()));
  assert.is(env.cwd().startsWith("/"), true);
  assert.is(typeof env.get("PATH"), "string");
  assert.is(env.get("WHARF_SURELY_UNSET_VARIABLE"), undefined);
  assert.type(env.uid(), "number");
  const stdio = rt.stdio!;
  for (const fd of [0, 1, 2] as const) assert.type(stdio.isTerminal(fd), "boolean");
  const writer = stdio.stderr.getWriter();
  await writer.write(enc.encode(`runtime-ports: stderr port writes on ${rt.name}\n`));
  writer.releaseLock();
});

test("blocking reads of a file, whole or from a position: only regular files, never through a final symlink", async () => {
  if (!files.readFileInto || !files.readFileAt) {
    console.log(`runtime-ports: ${rt.name} has no blocking file reads`);
    return;
  }
  const path = `${dir}/read-at.bin`;
  const body = enc.encode("0123456789abcdef");
  await files.writeFile(path, body);
  const into = new Uint8Array(17);
  assert.is(files.readFileInto!(path, into), 16); // a byte of room: the end seen in one read
  assert.is(dec.decode(into.subarray(0, 16)), "0123456789abcdef");
  assert.is(files.readFileInto!(path, new Uint8Array(16)), 16);
  assert.is(files.readFileInto!(path, new Uint8Array(15)), undefined); // larger than `into`
  const piece = new Uint8Array(4);
  assert.is(files.readFileAt!(path, piece, 6), 4);
  assert.is(dec.decode(piece), "6789");
  assert.is(files.readFileAt!(path, piece, 14), 2); // short at the end
  assert.is(dec.decode(piece.subarray(0, 2)), "ef");
  assert.is(files.readFileAt!(path, piece, 16), 0);
  assert.is(files.readFileAt!(path, piece, 100), 0);
  // Not files: each is missing (null), and the FIFO does not block.
  await files.symlink(path, `${dir}/read-at.link`);
  await files.mkdir(`${dir}/read-at.dir`);
  await files.mknod(`${dir}/read-at.fifo`, "fifo", 0o644, 0, 0);
  for (const name of ["read-at.link", "read-at.dir", "read-at.fifo", "read-at.none"]) {
    assert.is(files.readFileInto!(`${dir}/${name}`, new Uint8Array(17)), null, `${name} (whole)`);
    assert.is(files.readFileAt!(`${dir}/${name}`, new Uint8Array(4), 0), null, `${name} (at 0)`);
    assert.is(files.readFileAt!(`${dir}/${name}`, new Uint8Array(4), 8), null, `${name} (at 8)`);
  }
});

test("a directory reader reads files by relative path, never through a symlinked directory or file", async () => {
  const reader = files.openDirReader?.(`${dir}/tree`);
  if (!reader) {
    console.log(`runtime-ports: ${rt.name} has no directory reader`);
    return;
  }
  reader.close();
  await files.mkdir(`${dir}/tree/a/b`, { recursive: true });
  await files.mkdir(`${dir}/outside`);
  await files.writeFile(`${dir}/tree/a/b/f.txt`, enc.encode("0123456789"));
  await files.writeFile(`${dir}/tree/top.txt`, enc.encode("top"));
  await files.writeFile(`${dir}/outside/f.txt`, enc.encode("0123456789"));
  await files.symlink(`${dir}/outside`, `${dir}/tree/a/link`);
  await files.symlink(`${dir}/tree/a/b/f.txt`, `${dir}/tree/a/b/link.txt`);
  await files.mknod(`${dir}/tree/a/fifo`, "fifo", 0o644, 0, 0);
  const r = files.openDirReader!(`${dir}/tree`)!;
  try {
    const into = new Uint8Array(11);
    assert.is(r.readFileInto("a/b/f.txt", into), 10);
    assert.is(dec.decode(into.subarray(0, 10)), "0123456789");
    assert.is(r.readFileInto("top.txt", new Uint8Array(4)), 3);
    assert.is(r.readFileInto("a/b/f.txt", new Uint8Array(9)), undefined);
    const piece = new Uint8Array(3);
    assert.is(r.readFileAt("a/b/f.txt", piece, 8), 2);
    assert.is(dec.decode(piece.subarray(0, 2)), "89");
    for (const rel of ["a/link/f.txt", "a/b/link.txt", "a/fifo", "a/b", "a/none", "none/f.txt", "top.txt/x"]) {
      assert.is(r.readFileInto(rel, new Uint8Array(11)), null, rel);
      assert.is(r.readFileAt(rel, new Uint8Array(4), 0), null, rel);
    }
  } finally {
    r.close();
  }
});

test.run();
