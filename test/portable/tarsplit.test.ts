import { test } from "uvu";
import * as assert from "uvu/assert";
import { createSHA256 } from "hash-wasm";
import { isWharfError } from "../../src/errors.ts";
import { TarReader } from "../../src/tar/reader.ts";
import { TarSplitter, tarSplitRecords, tarSplitStream } from "../../src/tar/tarsplit.ts";
import { assembleTar, tarSplitTarLength } from "../../src/tar/tarsplit-assemble.ts";
import { byteString, encodeRecord, TAR_SPLIT_FILE, TAR_SPLIT_SEGMENT, type TarSplitRecord } from "../../src/tar/tarsplit-json.ts";
import { RecordLineWriter } from "../../src/tar/tarsplit-encode.ts";
import { cleanPath } from "../../src/format/go-path.ts";
import { goQuote } from "../../src/format/go-json.ts";
import { readFixture } from "../support/fixtures.ts";
import { chunkedStream, concat, pseudoRandomBytes, TarBuilder } from "../support/tar-builder.ts";

const enc = new TextEncoder();

/** Reads a stream to the end; its own error comes through (Response would turn it into a TypeError in Chromium). */
async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
  return concat(parts);
}

async function sha256Hex(data: Uint8Array): Promise<string> {
  const h = await createSHA256();
  h.update(data);
  return h.digest();
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Members of an outer tar whose name matches, with their bytes. */
async function members(tar: Uint8Array, match: (name: string) => boolean): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for await (const e of new TarReader(tar, { copyChunks: true })) {
    if (!match(e.header.name)) continue;
    const parts: Uint8Array[] = [];
    for await (const c of e.chunks()) parts.push(c);
    out.set(e.header.name, concat(parts));
  }
  return out;
}

/** Records plus every regular file's content, then reassembly: must give the tar back. */
async function roundTrip(tar: Uint8Array): Promise<void> {
  const files = new Map<string, Uint8Array>();
  const jsonl = await bytesOf(
    tarSplitStream(tar, {
      async onEntry(entry) {
        const parts: Uint8Array[] = [];
        for await (const c of entry.chunks()) parts.push(c.slice());
        files.set(byteString(entry.header.nameBytes), concat(parts));
      },
    }),
  );
  const rebuilt = await bytesOf(assembleTar(chunkedStream(jsonl, [65536]), (_name, nameBytes) => files.get(byteString(nameBytes)) ?? null));
  assert.is(rebuilt.length, tar.length);
  assert.ok(same(rebuilt, tar), "reassembled bytes differ");
}

let multi: Uint8Array;
let layers: Map<string, Uint8Array>;

test.before(async () => {
  multi = await readFixture("docker-save/multi.tar");
  layers = await members(multi, (n) => n.endsWith("/layer.tar"));
});

test("records for each layer of multi.tar equal Docker's byte for byte", async () => {
  assert.is(layers.size, 4);
  for (const layer of layers.values()) {
    const diffID = await sha256Hex(layer);
    const expected = await readFixture(`docker-save/multi.tar-split/${diffID}.jsonl`);
    const got = await bytesOf(tarSplitStream(layer));
    assert.ok(same(got, expected), `records for ${diffID} differ`);
    // As a layer is registered: records handed over as views, written at once (transient).
    const lines = new RecordLineWriter(1024);
    const chunks: Uint8Array[] = [];
    const splitter = new TarSplitter(chunkedStream(layer, [700, 65536]), (record) => lines.write(record), undefined, true);
    while (await splitter.step()) if (lines.length > 4096) chunks.push(lines.take());
    chunks.push(lines.take());
    assert.ok(same(concat(chunks), expected), `transient records for ${diffID} differ`);
  }
});

test("the tar length read from the records (payloads not decoded) equals each layer's length", async () => {
  const cases = [...layers.values(), multi, await readFixture("docker-save/busybox.tar")];
  for (const tar of cases) {
    assert.is(await tarSplitTarLength(tarSplitStream(tar)), tar.length);
  }
});

test("reassembly reproduces the fixture layers and whole archives", async () => {
  for (const layer of layers.values()) await roundTrip(layer);
  await roundTrip(multi);
  const busybox = await readFixture("docker-save/busybox.tar");
  await roundTrip(busybox);
  for (const layer of (await members(busybox, (n) => n.endsWith("/layer.tar"))).values()) await roundTrip(layer);
});

test("reassembly of generated tars: long names, PAX, links, empty and large files, trailing bytes", async () => {
  const long = "dir/" + "x".repeat(150) + "/file";
  const tar = new TarBuilder()
    .entry({ name: "dir/", typeflag: "5", mode: 0o755 })
    .pax([["path", long], ["mtime", "1700000000.5"], ["SCHILY.xattr.user.a", "b"]])
    .file("short", "pax body")
    .gnuLong("L", "gnu/" + "y".repeat(200))
    .file("gnu-short", "gnu body", { magic: "gnu" })
    .file("empty", "")
    .entry({ name: "hard", typeflag: "1", linkname: "empty" })
    .entry({ name: "sym", typeflag: "2", linkname: "short" })
    .file("large", pseudoRandomBytes(3 * 1024 * 1024 + 123, 42))
    .pax([["comment", "global"]], "g")
    .file("after-global", "g")
    .end()
    .raw(pseudoRandomBytes((1 << 20) + 5000, 8))
    .bytes();
  await roundTrip(tar);
  const records = [];
  for await (const r of tarSplitRecords(tar)) records.push(r);
  const tail = records.slice(-3).map((r) => r.payload?.length);
  assert.equal(tail, [1 << 20, 5000, 0], "trailing bytes in 1 MiB segments, then an empty one");
  const large = records.find((r) => r.name === "large")!;
  assert.is(large.size, 3 * 1024 * 1024 + 123);
  assert.is(large.payload!.length, 8);
});

test("header-only type with a size records the CRC of nothing", async () => {
  const tar = new TarBuilder().entry({ name: "hl", typeflag: "1", linkname: "x", size: 100 }).end().bytes();
  const lines: string[] = [];
  for await (const r of tarSplitRecords(tar)) lines.push(encodeRecord(r));
  assert.is(lines[1], '{"type":1,"name":"hl","size":100,"payload":"AAAAAAAAAAA=","position":1}\n');
});

test("JSON lines escape like Go and carry non-UTF-8 names as name_raw", async () => {
  assert.is(goQuote('a"b\\c\n\r\t\x01<>&\u2028\u2029é'), '"a\\"b\\\\c\\n\\r\\t\\u0001\\u003c\\u003e\\u0026\\u2028\\u2029é"');
  // Each escaped char alone in an otherwise plain name; plain names pass through whole.
  for (const [c, quoted] of [['"', '\\"'], ["\\", "\\\\"], ["\x00", "\\u0000"], ["\x1f", "\\u001f"], ["<", "\\u003c"], [">", "\\u003e"], ["&", "\\u0026"], ["\u2029", "\\u2029"], ["\ud800", "\ufffd"], ["\udfff", "\ufffd"], ["😀", "😀"], ["\x7f", "\x7f"], ["é", "é"]]) {
    assert.is(goQuote(`usr/${c}/bin`), `"usr/${quoted}/bin"`, JSON.stringify(c));
  }
  assert.is(goQuote("usr/lib/x86_64-linux-gnu/libc.so.6"), '"usr/lib/x86_64-linux-gnu/libc.so.6"');
  const raw = new Uint8Array([0x61, 0xff, 0x62]);
  const tar = new TarBuilder().entry({ name: raw }, enc.encode("zz")).end().bytes();
  const lines: string[] = [];
  for await (const r of tarSplitRecords(tar)) lines.push(encodeRecord(r));
  assert.match(lines[1]!, /^\{"type":1,"name_raw":"Yf9i","size":2,"payload":"[A-Za-z0-9+/]{11}=","position":1\}\n$/);
});

test("duplicate paths (after cleaning) are rejected", async () => {
  assert.is(cleanPath("./a//b/../c/"), "a/c");
  assert.is(cleanPath("./"), ".");
  const tar = new TarBuilder().file("./a/b", "1").file("a/b/", "2").end().bytes();
  const err = await (async () => {
    for await (const _ of tarSplitRecords(tar));
  })().catch((e: unknown) => e);
  assert.ok(isWharfError(err, "TAR_SPLIT"), String(err));
});

test("CRC mismatch and missing files fail with TAR_SPLIT naming the file", async () => {
  const tar = new TarBuilder().file("a.txt", "hello").file("b.txt", "world").end().bytes();
  const jsonl = await bytesOf(tarSplitStream(tar));
  const attempt = async (get: (n: string) => Uint8Array | null): Promise<unknown> =>
    bytesOf(assembleTar(chunkedStream(jsonl, [65536]), get)).catch((e: unknown) => e);
  const changed = await attempt((n) => enc.encode(n === "b.txt" ? "WORLD" : "hello"));
  assert.ok(isWharfError(changed, "TAR_SPLIT"));
  assert.match((changed as Error).message, "b.txt");
  const missing = await attempt((n) => (n === "a.txt" ? enc.encode("hello") : null));
  assert.ok(isWharfError(missing, "TAR_SPLIT"));
  assert.match((missing as Error).message, "b.txt");
  const short = await attempt((n) => enc.encode(n === "a.txt" ? "hell" : "world"));
  assert.ok(isWharfError(short, "TAR_SPLIT"));
  const ok = await attempt((n) => enc.encode(n === "a.txt" ? "hello" : "world"));
  assert.ok(ok instanceof Uint8Array && same(ok, tar));
});

test("in-place reassembly: files read in place, by promise or by the getter, and a segment larger than the window", async () => {
  const builder = new TarBuilder();
  const bodies = new Map<string, Uint8Array>();
  const add = (name: string, body: Uint8Array) => (bodies.set(name, body), builder.file(name, body));
  for (let i = 0; i < 300; i++) add(`small/${i}.bin`, pseudoRandomBytes(2000 + i * 7, i));
  add("edge/exactly-1MiB.bin", pseudoRandomBytes(1 << 20, 1001));
  add("edge/large.bin", pseudoRandomBytes((3 << 20) + 5, 1002));
  add("tail.txt", enc.encode("last"));
  // Junk after the end marker, recorded (as tar-split does) in 1 MiB segments; merged here into
  // one segment larger than the window, which only the JSON path reads, and larger than a chunk.
  const tar = concat([builder.end().bytes(), pseudoRandomBytes(5 << 20, 1003)]);
  const records: TarSplitRecord[] = [];
  for await (const r of tarSplitRecords(tar)) records.push(r);
  const lastFile = records.findLastIndex((r) => r.type === TAR_SPLIT_FILE);
  const tail = records.splice(lastFile + 1);
  records.push({ type: TAR_SPLIT_SEGMENT, payload: concat(tail.map((r) => r.payload ?? new Uint8Array(0))), position: records.length });
  assert.ok(records.at(-1)!.payload!.length > 5 << 20);
  const jsonl = enc.encode(records.map((r) => encodeRecord(r)).join(""));
  const get = (name: string) => bodies.get(name) ?? null;
  type Answer = "sync" | "promise" | "getter";
  const readInto = (answer: (name: string) => Answer, change?: (name: string, body: Uint8Array) => Uint8Array | null) => (name: string, into: Uint8Array) => {
    let body = bodies.get(name) ?? null;
    if (body && change) body = change(name, body);
    if (body === null) return null;
    const mode = answer(name);
    if (mode === "getter" || body.length > into.length) return undefined;
    into.set(body);
    return mode === "promise" ? Promise.resolve(body.length) : body.length;
  };
  const run = (read: ReturnType<typeof readInto>) => bytesOf(assembleTar(chunkedStream(jsonl, [65536, 3 << 20]), get, read)).catch((e: unknown) => e);
  for (const answer of [() => "sync" as const, () => "promise" as const, () => "getter" as const, (n: string) => (["sync", "promise", "getter"] as const)[n.length % 3]!]) {
    const rebuilt = await run(readInto(answer));
    assert.ok(rebuilt instanceof Uint8Array && same(rebuilt, tar), `reassembled bytes differ (${answer("small/1.bin")})`);
  }
  // Failures name the file, whichever way it was read.
  for (const mode of ["sync", "promise"] as const) {
    const gone = await run(readInto(() => mode, (n, b) => (n === "small/7.bin" ? null : b)));
    assert.is((gone as Error).message, 'tar-split: file "small/7.bin" is missing');
    const short = await run(readInto(() => mode, (n, b) => (n === "small/9.bin" ? b.subarray(0, b.length - 4) : b)));
    assert.is((short as Error).message, 'tar-split: file "small/9.bin" is 4 bytes shorter than recorded');
    const flipped = await run(readInto(() => mode, (n, b) => (n === "edge/exactly-1MiB.bin" ? concat([b.subarray(0, 9), new Uint8Array([b[9]! ^ 1]), b.subarray(10)]) : b)));
    assert.is((flipped as Error).message, 'tar-split: file "edge/exactly-1MiB.bin" fails its CRC-64 check');
  }
});

test("the byte writer of JSON lines matches encodeRecord: every base64 tail, escapes, plain names, numbers, name_raw, growth", () => {
  const records: TarSplitRecord[] = [];
  for (let n = 0; n <= 12; n++) records.push({ type: TAR_SPLIT_SEGMENT, payload: pseudoRandomBytes(n, n + 1), position: records.length });
  records.push({ type: TAR_SPLIT_SEGMENT, payload: pseudoRandomBytes(1537, 99), position: records.length });
  records.push({ type: TAR_SPLIT_FILE, name: 'a"b\\c<é>\u2028', size: 12345678901, payload: pseudoRandomBytes(8, 7), position: records.length });
  records.push({ type: TAR_SPLIT_FILE, nameRaw: new Uint8Array([0x61, 0xff, 0x62]), size: 2, payload: pseudoRandomBytes(8, 8), position: records.length });
  records.push({ type: TAR_SPLIT_FILE, name: "empty", payload: null, position: records.length });
  const printable = String.fromCharCode(...Array.from({ length: 95 }, (_, i) => 0x20 + i));
  const oneToEscape = ['"', "&", "<", ">", "\\", "\x1f", "\x7f", "é"].map((c) => `usr/a${c}b`);
  for (const name of [printable, `usr/${printable.slice(40, 60)}/x`, ...oneToEscape, "a b/c-d_e.f~g"]) records.push({ type: TAR_SPLIT_FILE, name, size: 1, payload: pseudoRandomBytes(8, 9), position: records.length });
  for (const size of [9, 10, 99, 100, 1e6, 2 ** 53 - 1]) records.push({ type: TAR_SPLIT_FILE, name: "n", size, payload: pseudoRandomBytes(8, size % 97), position: records.length * 1001 });
  const lines = new RecordLineWriter(64); // grows several times
  for (const r of records) lines.write(r);
  // Written out independently here: goQuote is checked against Go above, btoa is the platform's base64.
  const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));
  const line = (r: TarSplitRecord) =>
    `{"type":${r.type}${r.name ? `,"name":${goQuote(r.name)}` : ""}${r.nameRaw ? `,"name_raw":"${b64(r.nameRaw)}"` : ""}` +
    `${r.size ? `,"size":${r.size}` : ""},"payload":${r.payload === null ? "null" : `"${b64(r.payload)}"`},"position":${r.position}}\n`;
  const expected = records.map(line).join("");
  assert.is(records.map((r) => encodeRecord(r)).join(""), expected);
  assert.is(new TextDecoder().decode(lines.take()), expected);
  assert.is(lines.length, 0);
  lines.write(records[3]!);
  assert.is(new TextDecoder().decode(lines.take()), encodeRecord(records[3]!));
});

test.run();
