import { test } from "uvu";
import * as assert from "uvu/assert";
import { getRuntime } from "../src/runtime/index.ts";
import { openDriver } from "../src/graphdriver/registry.ts";
import type { Driver } from "../src/graphdriver/driver.ts";
import { TarReader } from "../src/tar/reader.ts";
import { writeTar, TypeFlag, type TarEntry } from "../src/tar/writer.ts";
import { readAll } from "../src/io/bytes.ts";
import { digestOf } from "../src/hash/digest.ts";
import { isWharfError } from "../src/errors.ts";
import type { FilesPort } from "../src/ports.ts";
import { readSavedImage } from "./support/layers.ts";

const rt = await getRuntime();
const files = rt.files as FilesPort;
const isRoot = rt.env?.uid() === 0;
if (!isRoot) console.log(`graphdriver-overlay2: skipping, overlay2 needs root (uid ${rt.env?.uid()})`);
const rootTest = isRoot ? test : test.skip;
const enc = new TextEncoder();
const dec = new TextDecoder();
const MTIME = 1_700_000_000;

const randomID = () => Array.from(rt.random.bytes(32), (b) => b.toString(16).padStart(2, "0")).join("");
const text = async (path: string) => dec.decode(await files.readFile(path));

function file(name: string, content: string): TarEntry {
  const body = enc.encode(content);
  return { header: { name, typeflag: TypeFlag.reg, mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: MTIME }, body };
}
function dir(name: string): TarEntry {
  return { header: { name, typeflag: TypeFlag.dir, mode: 0o755, uid: 0, gid: 0, size: 0, mtime: MTIME } };
}

async function applyTar(driver: Driver, id: string, parent: string | undefined, tar: Uint8Array): Promise<number> {
  const applier = await driver.applier(id, parent);
  for await (const entry of new TarReader(tar)) await applier.apply(entry);
  return applier.finish();
}

async function withDriver(fn: (driver: Driver, root: string) => Promise<void>, rootPrefix = "wharf-ov-"): Promise<void> {
  const root = await files.makeTempDir(rootPrefix);
  const driver = await openDriver({ root, name: "overlay2", runtime: rt });
  try {
    await fn(driver, root);
  } finally {
    await driver.cleanup();
    await files.remove(root, { recursive: true });
  }
}

async function isMounted(path: string): Promise<boolean> {
  const info = await text("/proc/self/mountinfo");
  return info.split("\n").some((line) => line.split(" ")[4] === path);
}

rootTest("a chain of three layers has Docker's overlay2 layout", async () => {
  await withDriver(async (driver) => {
    const [a, b, c] = [randomID(), randomID(), randomID()];
    await driver.create(a, undefined);
    await driver.create(b, a);
    await driver.create(c, b);
    const home = driver.home;
    assert.is((await files.lstat(home))!.mode, 0o710);
    assert.is((await files.lstat(`${home}/l`))!.mode, 0o700);
    const lid: Record<string, string> = {};
    for (const id of [a, b, c]) {
      assert.is((await files.lstat(`${home}/${id}`))!.mode, 0o710);
      assert.is((await files.lstat(`${home}/${id}/diff`))!.mode, 0o755);
      assert.is((await files.lstat(`${home}/${id}/link`))!.mode, 0o644);
      lid[id] = await text(`${home}/${id}/link`);
      assert.match(lid[id]!, /^[A-Z2-7]{26}$/);
      assert.is(await files.readlink(`${home}/l/${lid[id]}`), `../${id}/diff`);
    }
    assert.equal((await files.readdir(`${home}/${a}`)).sort(), ["committed", "diff", "link"]);
    assert.equal((await files.readdir(`${home}/${b}`)).sort(), ["committed", "diff", "link", "lower", "work"]);
    assert.equal((await files.readdir(`${home}/${c}`)).sort(), ["diff", "link", "lower", "work"]);
    assert.is(await text(`${home}/${b}/lower`), `l/${lid[a]}`);
    assert.is(await text(`${home}/${c}/lower`), `l/${lid[b]}:l/${lid[a]}`);
    assert.is((await files.lstat(`${home}/${c}/lower`))!.mode, 0o644);
    assert.is((await files.lstat(`${home}/${c}/work`))!.mode, 0o700);
    const committed = (await files.lstat(`${home}/${a}/committed`))!;
    assert.is(committed.mode, 0o600);
    assert.is(committed.size, 0);
    await driver.remove(c);
    assert.is(await files.lstat(`${home}/${c}`), null);
    assert.is(await files.lstat(`${home}/l/${lid[c]}`), null);
  });
});

rootTest("whiteouts and opaque dirs land in diff/, the merged view hides them, put() unmounts", async () => {
  await withDriver(async (driver) => {
    const [a, b, c] = [randomID(), randomID(), randomID()];
    await driver.create(a, undefined);
    await applyTar(driver, a, undefined, await readAll(writeTar([file("keep", "k"), file("gone", "g"), dir("op/"), file("op/old", "o")])));
    await driver.create(b, a);
    const size = await applyTar(driver, b, a, await readAll(writeTar([file(".wh.gone", ""), dir("op/"), file("op/.wh..wh..opq", ""), file("op/new", "new")])));
    assert.is(size, 3);
    const diffB = `${driver.home}/${b}/diff`;
    const gone = (await files.lstat(`${diffB}/gone`))!;
    assert.is(gone.kind, "char");
    assert.is(gone.rdev, 0);
    assert.is(dec.decode((await files.getxattr(`${diffB}/op`, "trusted.overlay.opaque"))!), "y");
    assert.equal((await files.readdir(diffB)).sort(), ["gone", "op"]);

    await driver.create(c, b);
    await applyTar(driver, c, b, await readAll(writeTar([file("c.txt", "c")])));
    const merged = await driver.get(c);
    assert.is(merged, `${driver.home}/${c}/merged`);
    assert.ok(await isMounted(merged));
    assert.equal((await files.readdir(merged)).sort(), ["c.txt", "keep", "op"]);
    assert.equal(await files.readdir(`${merged}/op`), ["new"]);
    assert.is(await driver.get(c), merged, "a second get shares the mount");
    await driver.put(c);
    assert.ok(await isMounted(merged), "still mounted: one get is outstanding");
    await driver.put(c);
    assert.not.ok(await isMounted(merged));
    assert.is(await files.lstat(merged), null);

    // A committed layer mounts read-only from diff/ + its lowers.
    const mergedB = await driver.get(b);
    assert.equal((await files.readdir(mergedB)).sort(), ["keep", "op"]);
    try {
      await files.writeFile(`${mergedB}/new`, enc.encode("x"));
      assert.unreachable("a committed layer is read-only");
    } catch (e) {
      assert.is((e as { errno?: string }).errno, "EROFS");
    }
    await driver.put(b);
    assert.is(await driver.get(a), `${driver.home}/${a}/diff`, "a base layer is its diff dir");
  });
});

rootTest("native diff gives back Docker's layer tars (multi.tar), whiteouts as .wh. entries", async () => {
  const image = await readSavedImage();
  await withDriver(async (driver) => {
    const ids: string[] = [];
    for (const [i, layer] of image.layers.entries()) {
      ids.push(randomID());
      await driver.create(ids[i]!, ids[i - 1]);
      await applyTar(driver, ids[i]!, ids[i - 1], layer.tar);
    }
    // Layers 2 and 4 (ADD; links and long names) come back byte for byte.
    for (const i of [1, 3]) {
      const tar = await readAll(driver.diff(ids[i]!, ids[i - 1]));
      assert.is(digestOf(rt.digests, tar), image.layers[i]!.diffID, `layer ${i + 1}`);
    }
    // Layer 3's whiteout device got its time when it was made, so compare headers but that.
    const headers = async (tar: Uint8Array) => {
      const out: string[] = [];
      for await (const e of new TarReader(tar)) {
        const h = e.header;
        const mtime = h.name.endsWith(".wh.deleteme.txt") ? "-" : h.mtime.seconds;
        out.push(`${h.name} ${h.typeflag} ${h.mode.toString(8)} ${h.size} ${h.uname}:${h.gname} ${mtime}`);
      }
      return out;
    };
    const ours = await headers(await readAll(driver.diff(ids[2]!, ids[1])));
    assert.equal(ours, await headers(image.layers[2]!.tar));
    const changes = await driver.changes(ids[2]!, ids[1]);
    assert.equal(changes, [
      { path: "/data", kind: "C" },
      { path: "/data/deleteme.txt", kind: "D" },
      { path: "/data/opaque", kind: "D" },
      { path: "/data/opaque/new.txt", kind: "A" },
    ]);
    assert.is(await driver.diffSize(ids[3]!, ids[2]), 23);
    const getter = await driver.diffGetter(ids[3]!);
    assert.is(dec.decode(await readAll((await getter.get("data/hard")) as ReadableStream<Uint8Array>)), "t\n");
    assert.is(await getter.get("data/link"), null);
    assert.is(await getter.get("../../etc/passwd"), null);
    await getter.close();
  });
});

rootTest("a 40-layer chain whose absolute lowerdir passes a page mounts with relative lowers", async () => {
  // A long root path makes each absolute lower ~170 bytes: 40 of them pass 4096.
  const parent = await files.makeTempDir("wharf-ov-long-");
  const longRoot = `${parent}/${"r".repeat(120)}`;
  await files.mkdir(longRoot);
  try {
    const driver = await openDriver({ root: longRoot, name: "overlay2", runtime: rt });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) {
        ids.push(randomID());
        await driver.create(ids[i]!, ids[i - 1]);
        await applyTar(driver, ids[i]!, ids[i - 1], await readAll(writeTar([file(`f${i}`, String(i))])));
      }
      const top = ids[39]!;
      const lower = await text(`${driver.home}/${top}/lower`);
      const absolute = lower.split(":").map((l) => `${driver.home}/${l}`).join(":");
      assert.ok(absolute.length > 4096, `absolute lowers are ${absolute.length} bytes`);
      const merged = await driver.get(top);
      assert.is((await files.readdir(merged)).length, 40);
      assert.is(await text(`${merged}/f0`), "0");
      await driver.put(top);
      assert.not.ok(await isMounted(merged));
    } finally {
      await driver.cleanup();
    }
  } finally {
    await files.remove(parent, { recursive: true });
  }
});

rootTest("an unknown layer is a NOT_FOUND error", async () => {
  await withDriver(async (driver) => {
    try {
      await driver.get(randomID());
      assert.unreachable();
    } catch (e) {
      assert.ok(isWharfError(e, "NOT_FOUND"), String(e));
    }
  });
});


rootTest("an apply's size is diff/'s walked size, known without a walk unless something was replaced", async () => {
  const { LayerExtractor } = await import("../src/archive/apply.ts");
  const { directorySize } = await import("../src/graphdriver/overlay2.ts");
  const link = (name: string, typeflag: string, linkname: string): TarEntry => ({ header: { name, typeflag, mode: 0o777, uid: 0, gid: 0, size: 0, mtime: MTIME, linkname } });
  const big = { header: { name: "d/big.bin", typeflag: TypeFlag.reg, mode: 0o644, uid: 0, gid: 0, size: 300_000, mtime: MTIME }, body: new Uint8Array(300_000).fill(7) };
  const plain: TarEntry[] = [
    dir("d/"), file("d/a", "alpha"), file("d/empty", ""), big, file(".wh.gone", ""), dir("o/"), file("o/.wh..wh..opq", ""),
    link("d/sym", TypeFlag.symlink, "a"), link("d/sym-ü", TypeFlag.symlink, "../ünïcødé/target"), link("d/hard", TypeFlag.link, "d/a"),
    link("d/hard-big", TypeFlag.link, "d/big.bin"), { header: { name: "d/fifo", typeflag: TypeFlag.fifo, mode: 0o644, uid: 0, gid: 0, size: 0, mtime: MTIME } },
    ...Array.from({ length: 80 }, (_, i) => file(`many/f${i}`, "x".repeat(i * 13))),
  ];
  const replacing: TarEntry[] = [dir("d/"), file("d/a", "short"), file("d/a", "a longer body"), file("d/b", "b"), dir("d/b/"), file("d/b/c", "c"), link("s", TypeFlag.symlink, "d")];
  for (const [label, entries, known] of [["plain", plain, true], ["replacing", replacing, false]] as const) {
    const root = await files.makeTempDir("wharf-size-");
    try {
      const extractor = new LayerExtractor(files, root, { whiteouts: "overlay", privileged: true });
      for await (const entry of new TarReader(await readAll(writeTar(entries)))) await extractor.apply(entry);
      await extractor.finish();
      const walked = await directorySize(files, root);
      assert.ok(walked >= (known ? 300_000 : 1), label);
      assert.is(extractor.madeSize(), known ? walked : undefined, label);
    } finally {
      await files.remove(root, { recursive: true });
    }
  }
});

test.run();
