import { test } from "uvu";
import * as assert from "uvu/assert";
import { encodeTarHeader, writeTar, type TarEntry, type TarEntryHeader } from "../../src/tar/writer.ts";
import { loadWasmDigests } from "../../src/hash/wasm.ts";
import { digestOf } from "../../src/hash/digest.ts";
import { isWharfError } from "../../src/errors.ts";
import { readFixture } from "../support/fixtures.ts";
import { readAll } from "../../src/io/bytes.ts";

/** A minimal test-side tar reader: headers (PAX records applied) and bodies. */
interface ParsedEntry {
  header: TarEntryHeader;
  body: Uint8Array;
  /** Raw bytes of the entry's header blocks (PAX header included). */
  raw: Uint8Array;
}

const latin1 = (bytes: Uint8Array) => String.fromCharCode(...bytes);
const field = (block: Uint8Array, offset: number, size: number) => {
  const slice = block.subarray(offset, offset + size);
  const end = slice.indexOf(0);
  return slice.subarray(0, end < 0 ? size : end);
};
const octal = (block: Uint8Array, offset: number, size: number) => parseInt(latin1(field(block, offset, size)).trim() || "0", 8);
const utf8 = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function parseTar(tar: Uint8Array): { entries: ParsedEntry[]; end: number } {
  const entries: ParsedEntry[] = [];
  let offset = 0;
  let pax = new Map<string, Uint8Array>();
  let rawStart = 0;
  while (offset + 512 <= tar.length) {
    const block = tar.subarray(offset, offset + 512);
    if (block.every((b) => b === 0)) return { entries, end: offset };
    const typeflag = String.fromCharCode(block[156]!);
    const size = octal(block, 124, 12);
    const body = tar.subarray(offset + 512, offset + 512 + size);
    const next = offset + 512 + Math.ceil(size / 512) * 512;
    if (typeflag === "x") {
      pax = parsePax(body);
      offset = next;
      continue;
    }
    const prefix = field(block, 345, 155);
    const nameBytes = pax.get("path") ?? (prefix.length ? new Uint8Array([...prefix, 0x2f, ...field(block, 0, 100)]) : field(block, 0, 100));
    const header: TarEntryHeader = {
      name: utf8(nameBytes),
      typeflag,
      mode: octal(block, 100, 8),
      uid: pax.has("uid") ? Number(utf8(pax.get("uid")!)) : octal(block, 108, 8),
      gid: pax.has("gid") ? Number(utf8(pax.get("gid")!)) : octal(block, 116, 8),
      size: pax.has("size") ? Number(utf8(pax.get("size")!)) : size,
      mtime: pax.has("mtime") ? Number(utf8(pax.get("mtime")!)) : octal(block, 136, 12),
      linkname: utf8(pax.get("linkpath") ?? field(block, 157, 100)),
      uname: utf8(pax.get("uname") ?? field(block, 265, 32)),
      gname: utf8(pax.get("gname") ?? field(block, 297, 32)),
      devmajor: octal(block, 329, 8),
      devminor: octal(block, 337, 8),
    };
    const xattrs = [...pax].filter(([k]) => k.startsWith("SCHILY.xattr."));
    if (xattrs.length) header.xattrs = Object.fromEntries(xattrs.map(([k, v]) => [k.slice(13), v]));
    const isBodyless = "123456".includes(typeflag);
    entries.push({ header, body: isBodyless ? new Uint8Array(0) : body, raw: tar.subarray(rawStart, offset + 512) });
    pax = new Map();
    offset = isBodyless ? offset + 512 : next;
    rawStart = offset;
  }
  throw new Error("no end marker");
}

function parsePax(data: Uint8Array): Map<string, Uint8Array> {
  const records = new Map<string, Uint8Array>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = Number(latin1(data.subarray(at, space)));
    const record = data.subarray(space + 1, at + length - 1);
    const eq = record.indexOf(0x3d);
    records.set(utf8(record.subarray(0, eq)), record.slice(eq + 1));
    at += length;
  }
  return records;
}

const collect = (stream: ReadableStream<Uint8Array>) => readAll(stream);

/** The layer tars of multi.tar, by path, with the outer archive parsed by the same reader. */
async function fixtureLayers(): Promise<Map<string, Uint8Array>> {
  const outer = parseTar(await readFixture("docker-save/multi.tar"));
  return new Map(outer.entries.filter((e) => String(e.header.name).endsWith("/layer.tar")).map((e) => [String(e.header.name), e.body]));
}

const isGNUTar = (tar: Uint8Array) => latin1(tar.subarray(257, 265)) === "ustar  \0";

test("rewrites Docker's layer tars from multi.tar byte for byte", async () => {
  const layers = await fixtureLayers();
  const digests = await loadWasmDigests();
  let checked = 0;
  for (const [path, original] of layers) {
    if (isGNUTar(original)) continue; // the busybox layer came from GNU tar, not Go
    const { entries, end } = parseTar(original);
    assert.is(original.length, end + 1024, `${path}: Go ends with exactly two zero blocks`);
    const body = (e: ParsedEntry) => {
      // stream bodies in uneven pieces to exercise the pass-through
      const pieces = [e.body.subarray(0, 1), e.body.subarray(1)];
      return new ReadableStream<Uint8Array>({ pull(c) { const p = pieces.shift(); if (p === undefined) c.close(); else c.enqueue(p); } });
    };
    const rewritten = await collect(writeTar(entries.map((e): TarEntry => ({ header: e.header, body: body(e) }))));
    assert.equal(rewritten, original, path);
    assert.is(digestOf(digests, rewritten), digestOf(digests, original));
    checked++;
  }
  assert.is(checked, 3);
});

test("long paths: USTAR prefix split when possible, PAX otherwise", () => {
  const dir = "d".repeat(60);
  const split = encodeTarHeader({ name: `${dir}/${"e".repeat(80)}/f.txt`, typeflag: "0", mode: 0o644, uid: 0, gid: 0, size: 5, mtime: 1 });
  assert.is(split.length, 512);
  assert.is(latin1(field(split, 345, 155)), `${dir}/${"e".repeat(80)}`);
  assert.is(latin1(field(split, 0, 100)), "f.txt");

  const unsplittable = `a/${"x".repeat(120)}`; // the last element alone exceeds 100 bytes
  const pax = encodeTarHeader({ name: unsplittable, typeflag: "0", mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 1 });
  assert.is(pax.length, 512 * 3);
  assert.is(String.fromCharCode(pax[156]!), "x");
  assert.is(latin1(field(pax, 0, 100)), `a/PaxHeaders.0/${"x".repeat(85)}`);
  const record = `path=${unsplittable}\n`;
  assert.is(latin1(field(pax, 512, 512)), `${record.length + 4} ${record}`);
  assert.is(latin1(field(pax, 1024, 100)), unsplittable.slice(0, 100));
});

test("PAX for xattrs, non-ASCII names, big ids; sorted records; checksums", () => {
  const header: TarEntryHeader = {
    name: "data/caf\u00e9/",
    typeflag: "5",
    mode: 0o755,
    uid: 3_000_000,
    gid: 7,
    size: 0,
    mtime: 1700000000.9,
    uname: "ünï",
    gname: "g",
    xattrs: { "security.capability": Uint8Array.of(1, 0, 0, 2), "user.a": "b" },
  };
  const bytes = encodeTarHeader(header);
  // Go: path.Join("data/café/", "PaxHeaders.0"), then ASCII only
  assert.is(latin1(field(bytes, 0, 100)), "data/caf/PaxHeaders.0");
  const records = parsePax(bytes.subarray(512, 512 + octal(bytes, 124, 12)));
  assert.equal([...records.keys()], ["SCHILY.xattr.security.capability", "SCHILY.xattr.user.a", "path", "uid", "uname"]);
  assert.equal(records.get("SCHILY.xattr.security.capability"), Uint8Array.of(1, 0, 0, 2));
  const main = bytes.subarray(bytes.length - 512);
  assert.is(latin1(field(main, 0, 100)), "data/caf/");
  assert.is(latin1(main.subarray(108, 116)), "0000000\0"); // uid too big for octal: zero, the PAX record holds it
  assert.is(octal(main, 136, 12), 1700000000); // mtime truncated to seconds
  for (let at = 0; at < bytes.length; at += 512) {
    const block = bytes.subarray(at, at + 512);
    if (at === 512) continue; // PAX record data
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : block[i]!;
    assert.is(latin1(block.subarray(148, 156)), sum.toString(8).padStart(6, "0") + "\0 ");
    assert.is(latin1(block.subarray(257, 265)), "ustar\x0000");
  }
  const back = parseTar(new Uint8Array([...bytes, ...new Uint8Array(1024)])).entries[0]!.header;
  assert.is(back.name, header.name);
  assert.is(back.uid, 3_000_000);
  assert.is(back.uname, "ünï");
});

test("devices, symlinks and hard links are header-only", async () => {
  const entries: TarEntry[] = [
    { header: { name: "dev/null", typeflag: "3", mode: 0o666, uid: 0, gid: 0, size: 0, mtime: 5, devmajor: 1, devminor: 3 } },
    { header: { name: "l", typeflag: "2", mode: 0o777, uid: 0, gid: 0, size: 0, mtime: 5, linkname: "/target" } },
    { header: { name: "h", typeflag: "1", mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 5, linkname: "f" } },
  ];
  const tar = await collect(writeTar(entries));
  assert.is(tar.length, 3 * 512 + 1024);
  assert.is(octal(tar, 329, 8), 1);
  assert.is(octal(tar, 337, 8), 3);
  const parsed = parseTar(tar).entries.map((e) => e.header);
  assert.equal(parsed.map((h) => [h.typeflag, h.linkname]), [["3", ""], ["2", "/target"], ["1", "f"]]);
});

test("body length must match the header", async () => {
  for (const body of [new Uint8Array(3), new Uint8Array(5)]) {
    const entries: TarEntry[] = [{ header: { name: "f", typeflag: "0", mode: 0o644, uid: 0, gid: 0, size: 4, mtime: 0 }, body }];
    try {
      await collect(writeTar(entries));
      assert.unreachable("should fail");
    } catch (error) {
      assert.ok(isWharfError(error, "TAR_HEADER"), String(error));
    }
  }
  assert.throws(
    () => encodeTarHeader({ name: "f/", typeflag: "0", mode: 0, uid: 0, gid: 0, size: 0, mtime: 0 }),
    (e: unknown) => isWharfError(e, "TAR_HEADER"),
  );
});

test("bodies stream: a large body is pulled chunk by chunk", async () => {
  const chunk = new Uint8Array(64 * 1024).fill(7);
  let produced = 0;
  const total = 64;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (produced === total) return c.close();
      produced++;
      c.enqueue(chunk);
    },
  }, { highWaterMark: 0 });
  const reader = writeTar([{ header: { name: "big", typeflag: "0", mode: 0o644, uid: 0, gid: 0, size: total * chunk.length, mtime: 0 }, body }]).getReader();
  let length = (await reader.read()).value!.length; // header
  length += (await reader.read()).value!.length; // first body chunk
  assert.ok(produced <= 2, `only what was asked for was read (${produced})`);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
  }
  assert.is(length, 512 + total * chunk.length + 1024);
});

test.run();
