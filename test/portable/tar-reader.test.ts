import { test } from "uvu";
import * as assert from "uvu/assert";
import { isWharfError } from "../../src/errors.ts";
import { scanTar } from "../../src/tar/engine.ts";
import { streamSource } from "../../src/io/source.ts";
import { TarReader, type TarReaderOptions } from "../../src/tar/reader.ts";
import type { TarHeader } from "../../src/tar/header.ts";
import { base256, chunkedStream, concat, headerBlock, pseudoRandomBytes, TarBuilder } from "../support/tar-builder.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

interface Read {
  header: TarHeader;
  body: Uint8Array;
}

async function readAll(input: Uint8Array | ReadableStream<Uint8Array>, options: TarReaderOptions = {}): Promise<{ entries: Read[]; reader: TarReader }> {
  const reader = new TarReader(input, options);
  const entries: Read[] = [];
  for await (const e of reader) {
    const parts: Uint8Array[] = [];
    for await (const c of e.chunks()) parts.push(c.slice());
    entries.push({ header: e.header, body: concat(parts) });
  }
  return { entries, reader };
}

async function rejects(input: Uint8Array | ReadableStream<Uint8Array>, code: string): Promise<string> {
  try {
    await readAll(input);
  } catch (e) {
    assert.ok(isWharfError(e), `expected WharfError, got ${String(e)}`);
    assert.is(e.code, code, e.message);
    assert.not.match(e.message, "\n");
    return e.message;
  }
  throw new assert.Assertion({ message: `expected ${code}`, operator: "rejects", expects: code, actual: "no error" });
}

test("plain ustar entries with bodies, dirs, symlinks", async () => {
  const tar = new TarBuilder()
    .entry({ name: "dir/", typeflag: "5", mode: 0o755 })
    .file("dir/a.txt", "hello\n", { uid: 1000, gid: 100, uname: "me", gname: "users", mtime: 1234567890 })
    .entry({ name: "dir/link", typeflag: "2", linkname: "a.txt" })
    .end()
    .bytes();
  const { entries, reader } = await readAll(tar);
  assert.equal(entries.map((e) => [e.header.name, e.header.typeflag]), [["dir/", "5"], ["dir/a.txt", "0"], ["dir/link", "2"]]);
  const a = entries[1]!.header;
  assert.is(dec.decode(entries[1]!.body), "hello\n");
  assert.equal([a.uid, a.gid, a.uname, a.gname, a.size, a.mode, a.mtime.seconds, a.format], [1000, 100, "me", "users", 6, 0o644, 1234567890, "ustar"]);
  assert.is(entries[2]!.header.linkname, "a.txt");
  assert.is(reader.end, "marker");
});

test("ustar prefix is joined with the name", async () => {
  const tar = new TarBuilder().file("file.txt", "x", { prefix: "a".repeat(120) + "/b" }).end().bytes();
  const { entries } = await readAll(tar);
  assert.is(entries[0]!.header.name, "a".repeat(120) + "/b/file.txt");
});

test("GNU format: the prefix area is not a prefix", async () => {
  const tar = new TarBuilder().file("plain", "x", { magic: "gnu", prefix: "atime-garbage" }).end().bytes();
  const { entries } = await readAll(tar);
  assert.is(entries[0]!.header.name, "plain");
  assert.is(entries[0]!.header.format, "gnu");
});

test("GNU long name and long link", async () => {
  const long = "d/".repeat(80) + "file";
  const target = "t/".repeat(70) + "target";
  const tar = new TarBuilder()
    .gnuLong("L", long)
    .gnuLong("K", target)
    .entry({ name: long.slice(0, 99), typeflag: "1", linkname: target.slice(0, 99), magic: "gnu" })
    .gnuLong("L", long + "2")
    .file(long.slice(0, 99), "body", { magic: "gnu" })
    .end()
    .bytes();
  const { entries } = await readAll(tar);
  assert.is(entries.length, 2);
  assert.is(entries[0]!.header.name, long);
  assert.is(entries[0]!.header.linkname, target);
  assert.is(entries[0]!.header.format, "gnu");
  assert.is(entries[1]!.header.name, long + "2");
  assert.is(dec.decode(entries[1]!.body), "body");
});

test("PAX path, linkpath, times with fractions, ids, xattrs, unknown records", async () => {
  const longPath = "p/".repeat(150) + "f";
  const binary = new Uint8Array([0, 1, 2, 255, 10]);
  const tar = new TarBuilder()
    .pax([
      ["path", longPath],
      ["linkpath", "l/".repeat(60) + "x"],
      ["mtime", "1700000000.123456789"],
      ["atime", "-1.5"],
      ["uid", "3000000"],
      ["gid", "42"],
      ["uname", "ünïcode"],
      ["SCHILY.xattr.security.capability", binary],
      ["SCHILY.xattr.user.k", "v"],
      ["VENDOR.thing", "kept"],
    ])
    .entry({ name: "short", typeflag: "2" })
    .end()
    .bytes();
  const { entries } = await readAll(tar);
  const h = entries[0]!.header;
  assert.is(h.name, longPath);
  assert.is(h.linkname, "l/".repeat(60) + "x");
  assert.equal(h.mtime, { seconds: 1700000000, nanoseconds: 123456789 });
  assert.equal(h.atime, { seconds: -2, nanoseconds: 500000000 });
  assert.equal([h.uid, h.gid, h.uname, h.format], [3000000, 42, "ünïcode", "pax"]);
  assert.equal([...h.xattrs.get("security.capability")!], [...binary]);
  assert.is(dec.decode(h.xattrs.get("user.k")), "v");
  assert.is(dec.decode(h.paxRecords.get("VENDOR.thing")), "kept");
});

test("PAX size overrides the header size; header-only types keep size but have no body", async () => {
  const body = pseudoRandomBytes(1000, 7);
  const tar = new TarBuilder()
    .pax([["size", "1000"]])
    .raw(headerBlock({ name: "big", size: 0 }))
    .raw(concat([body, new Uint8Array(24)]))
    .raw(headerBlock({ name: "hardlink", typeflag: "1", linkname: "big", size: 777 }))
    .file("after", "ok")
    .end()
    .bytes();
  const { entries } = await readAll(tar);
  assert.is(entries[0]!.header.size, 1000);
  assert.equal([...entries[0]!.body], [...body]);
  assert.is(entries[1]!.header.size, 777);
  assert.is(entries[1]!.body.length, 0);
  assert.is(dec.decode(entries[2]!.body), "ok");
});

test("global PAX header is an entry of its own; only the last 'x' before an entry applies", async () => {
  const tar = new TarBuilder()
    .pax([["comment", "global"]], "g")
    .pax([["path", "first"], ["uid", "7"]])
    .pax([["path", "second"]])
    .file("plain", "b")
    .end()
    .bytes();
  const { entries } = await readAll(tar);
  assert.equal(entries.map((e) => [e.header.name, e.header.typeflag, e.header.size]), [["pax_global_header", "g", 0], ["second", "0", 1]]);
  assert.is(dec.decode(entries[0]!.header.paxRecords.get("comment")), "global");
  assert.is(entries[1]!.header.uid, 0);
});

test("base-256 uid and size, negative base-256 mtime-like values", async () => {
  const body = pseudoRandomBytes(600, 3);
  const tar = new TarBuilder()
    .raw(headerBlock({ name: "b256", uid: base256(70000000000n, 8), size: base256(600n, 12) }))
    .raw(concat([body, new Uint8Array(424)]))
    .raw(headerBlock({ name: "neg", uid: base256(-5n, 8) }))
    .end()
    .bytes();
  const { entries } = await readAll(tar);
  assert.is(entries[0]!.header.uid, 70000000000);
  assert.is(entries[0]!.header.size, 600);
  assert.equal([...entries[0]!.body], [...body]);
  assert.is(entries[1]!.header.uid, -5);
});

test("legacy NUL typeflag: trailing slash means directory (no body)", async () => {
  const tar = new TarBuilder().entry({ name: "olddir/", typeflag: "\0", size: 0 }).file("oldfile", "abc", { typeflag: "\0", magic: "v7" }).end().bytes();
  const { entries } = await readAll(tar);
  assert.equal(entries.map((e) => [e.header.name, e.header.typeflag, dec.decode(e.body)]), [["olddir/", "5", ""], ["oldfile", "0", "abc"]]);
  assert.is(entries[1]!.header.format, "v7");
});

test("bad checksum is TAR_CHECKSUM naming the offset; signed checksum accepted", async () => {
  const good = new TarBuilder().file("a", "1").bytes();
  const bad = new TarBuilder().raw(good).entry({ name: "b", checksum: 1234 }).end().bytes();
  assert.match(await rejects(bad, "TAR_CHECKSUM"), "offset 1024");
  const signed = new TarBuilder().file("\u00ff\u00fe-high-bytes", "z", { signedChecksum: true }).end().bytes();
  const { entries } = await readAll(signed);
  assert.is(entries[0]!.header.name, "\u00ff\u00fe-high-bytes");
});

test("bad numeric field and malformed PAX records are typed errors", async () => {
  const badOctal = headerBlock({ name: "x" });
  badOctal.set(enc.encode("12x4567\0"), 100);
  const fixed = headerBlock({ name: "x", mode: 0 }); // recompute checksum over the bad mode
  fixed.set(badOctal.subarray(100, 108), 100);
  fixed.fill(0x20, 148, 156);
  const sum = fixed.reduce((n, b) => n + b, 0);
  fixed.set(enc.encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
  await rejects(concat([fixed, new Uint8Array(1024)]), "TAR_HEADER");
  const badPax = new TarBuilder().entry({ name: "p", typeflag: "x" }, enc.encode("99 path=x\n")).file("f", "").end().bytes();
  await rejects(badPax, "TAR_PAX");
  const badTime = new TarBuilder().pax([["mtime", "12.3x"]]).file("f", "").end().bytes();
  await rejects(badTime, "TAR_HEADER");
});

test("truncated inside a header, a body, or padding is TAR_TRUNCATED", async () => {
  const tar = new TarBuilder().file("f", pseudoRandomBytes(3000, 1)).end().bytes();
  assert.match(await rejects(tar.subarray(0, 300), "TAR_TRUNCATED"), "offset 0");
  assert.match(await rejects(tar.subarray(0, 2000), "TAR_TRUNCATED"), '"f"');
  await rejects(tar.subarray(0, 512 + 3000 + 10), "TAR_TRUNCATED");
  await rejects(tar.subarray(0, 512 + 3072 + 700), "TAR_TRUNCATED");
});

test("end of archive: two zero blocks, one zero block, none, zero then data", async () => {
  const one = new TarBuilder().file("a", "1").bytes();
  assert.is((await readAll(new TarBuilder().raw(one).end(2).bytes())).reader.end, "marker");
  assert.is((await readAll(new TarBuilder().raw(one).end(1).bytes())).reader.end, "one-zero-block");
  assert.is((await readAll(one)).reader.end, "eof");
  await rejects(new TarBuilder().raw(one).end(1).raw(headerBlock({ name: "late" })).bytes(), "TAR_HEADER");
});

test("garbage after the end marker is left for trailing()", async () => {
  const garbage = pseudoRandomBytes(5000, 9);
  const tar = new TarBuilder().file("a", "1").end().raw(garbage).bytes();
  const reader = new TarReader(tar);
  const names: string[] = [];
  for await (const e of reader) names.push(e.header.name);
  assert.equal(names, ["a"]);
  const rest: Uint8Array[] = [];
  for await (const c of reader.trailing(1024)) {
    assert.ok(c.length <= 1024);
    rest.push(c.slice());
  }
  assert.equal([...concat(rest)], [...garbage]);
});

test("raw accounting gives padding + header blocks per entry and the end marker", async () => {
  const tar = new TarBuilder().file("a", "12345").pax([["path", "long/" + "n".repeat(200)]]).file("x", "").end().bytes();
  const reader = new TarReader(tar, { rawAccounting: true });
  const raws: Uint8Array[] = [];
  for await (const e of reader) {
    raws.push(reader.rawBytes());
    await e.skip();
  }
  raws.push(reader.rawBytes());
  assert.equal(raws.map((r) => r.length), [512, 507 + 512 + 512 + 512, 1024]);
  assert.equal([...concat(raws)], [...tar.subarray(0, 512), ...tar.subarray(517)]);
});

test("any chunking of the input gives the same entries", async () => {
  const b = new TarBuilder();
  for (let i = 0; i < 40; i++) {
    if (i % 7 === 0) b.pax([["path", `pax/${i}/` + "q".repeat(i * 5)], ["mtime", `${1600000000 + i}.5`]]);
    if (i % 11 === 0) b.gnuLong("L", `gnu/${i}/` + "g".repeat(120));
    b.file(`f${i}`, pseudoRandomBytes((i * 977) % 5000, i + 1), { magic: i % 11 === 0 ? "gnu" : "ustar" });
  }
  b.file("big", pseudoRandomBytes(3 << 20, 99)).end();
  const tar = b.bytes();
  const whole = await readAll(tar);
  const summary = (r: Read[]) => r.map((e) => `${e.header.name}|${e.header.size}|${e.header.mtime.nanoseconds}|${e.body.reduce((h, x) => (h * 31 + x) >>> 0, 7)}`);
  const expected = summary(whole.entries);
  assert.is(expected.length, 41);
  for (const sizes of [[1], [7, 511, 513], [100000], [3 << 20]]) {
    const input = sizes[0] === 1 ? tar.subarray(0, 64 * 1024) : tar;
    const got = await readAll(chunkedStream(input, sizes)).catch((e: unknown) => e);
    if (sizes[0] === 1) {
      // 1-byte chunks over a prefix: entries up to the cut, then a truncation error
      assert.ok(isWharfError(got, "TAR_TRUNCATED"));
      continue;
    }
    assert.equal(summary((got as { entries: Read[] }).entries), expected);
  }
  const oneByte = new TarBuilder().file("tiny", "abc").pax([["path", "p/".repeat(100)]]).file("t", "z").end().bytes();
  assert.equal(summary((await readAll(chunkedStream(oneByte, [1]))).entries), summary((await readAll(oneByte)).entries));
});

test("scanTar counts entries and sizes like the reader, through chunked input, and rejects truncation", async () => {
  const b = new TarBuilder();
  for (let i = 0; i < 300; i++) {
    if (i % 50 === 0) b.pax([["path", "x/".repeat(80) + i], ["size", String(i * 13)]]).raw(headerBlock({ name: `p${i}` })).raw(new Uint8Array(Math.ceil((i * 13) / 512) * 512));
    else b.file(`f${i}`, pseudoRandomBytes((i * 331) % 4000, i));
  }
  b.entry({ name: "link", typeflag: "1", linkname: "f1", size: 99 });
  b.file("huge", pseudoRandomBytes(5 << 20, 1)).end();
  const tar = b.bytes();
  const { entries } = await readAll(tar);
  const summary = await scanTar(streamSource(chunkedStream(tar, [70000, 3, 1 << 20])));
  assert.is(summary.entries, entries.length);
  assert.is(summary.sizeSum, entries.reduce((n, e) => n + e.header.size, 0));
  assert.is(summary.length, tar.length);
  const err = await scanTar(streamSource(chunkedStream(tar.subarray(0, tar.length - 2048), [65536]))).catch((e: unknown) => e);
  assert.ok(isWharfError(err, "TAR_TRUNCATED"), String(err));
  const bad = tar.slice();
  bad[512 * 3 + 10] ^= 1;
  const err2 = await scanTar(streamSource(chunkedStream(bad, [65536]))).catch((e: unknown) => e);
  assert.ok(isWharfError(err2, "TAR_CHECKSUM"), String(err2));
});

test("copyChunks and stream() give chunks that stay valid", async () => {
  const a = pseudoRandomBytes(5 << 20, 5);
  const tar = new TarBuilder().file("a", a).end().bytes();
  const reader = new TarReader(chunkedStream(tar, [1 << 20]), { copyChunks: true });
  const entry = (await reader.next())!;
  const kept: Uint8Array[] = [];
  for await (const c of entry.chunks()) kept.push(c);
  assert.ok(kept.length > 1);
  assert.equal(concat(kept).reduce((h, x) => (h * 31 + x) >>> 0, 7), a.reduce((h, x) => (h * 31 + x) >>> 0, 7));
  const reader2 = new TarReader(tar);
  const body = new Uint8Array(await new Response((await reader2.next())!.stream()).arrayBuffer());
  assert.is(body.length, a.length);
  assert.is(await reader2.next(), null);
});

test("non-UTF-8 names keep their bytes", async () => {
  const raw = new Uint8Array([0x66, 0xff, 0xfe, 0x2e, 0x74]);
  const { entries } = await readAll(new TarBuilder().entry({ name: raw }, enc.encode("x")).end().bytes());
  assert.equal([...entries[0]!.header.nameBytes], [...raw]);
  assert.ok(entries[0]!.header.name.includes("\ufffd"));
});

test.run();
