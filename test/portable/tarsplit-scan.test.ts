// The WASM tar-split scanner (src/tar/tarsplit-scan.ts) against the plain JSON path line by
// line (what Go's decoder gives): the same records, payloads, positions and tar lengths for
// Go-shaped lines, lines only JSON can read, lines JSON refuses, blank lines, a BOM, and a line
// longer than the engine's window, whatever the chunking of the input.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { TarSplitScanner, type LineRecord } from "../../src/tar/tarsplit-scan.ts";
import { decodeRecord, encodeRecord, recordTarLength, type TarSplitRecord } from "../../src/tar/tarsplit-json.ts";
import { pseudoRandomBytes } from "../support/tar-builder.ts";

const enc = new TextEncoder();

interface Seen {
  type: number;
  name: string | undefined;
  nameRaw: string | undefined;
  size: number;
  payload: string | null;
  position: number;
}

function seen(rec: LineRecord | TarSplitRecord): Seen {
  return { type: rec.type, name: rec.name === "" ? undefined : rec.name, nameRaw: rec.nameRaw?.join(","), size: rec.size ?? 0, payload: rec.payload === null ? null : Array.from(rec.payload).join(","), position: rec.position };
}

/** The non-blank lines as Go's decoder sees them: a BOM dropped only at the start, a whitespace-only last line ignored. */
function oracleLines(bytes: Uint8Array): string[] {
  const parts = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes).split("\n");
  const lines: string[] = [];
  parts.forEach((line, i) => {
    if (lines.length === 0 && line.startsWith("\uFEFF")) line = line.slice(1);
    if (line.length === 0 || (i === parts.length - 1 && line.trim().length === 0)) return;
    lines.push(line);
  });
  return lines;
}

/** Every record, or the error that stopped the reading. */
function oracle(bytes: Uint8Array): Array<Seen | string> {
  const out: Array<Seen | string> = [];
  try {
    for (const line of oracleLines(bytes)) out.push(seen(decodeRecord(line)));
  } catch (e) {
    out.push(`error: ${(e as Error).message}`);
  }
  return out;
}

/** The scanner's records, fed `bytes` in pieces of `sizes`. */
function drain(parser: TarSplitScanner, bytes: Uint8Array, sizes: number[]): Array<Seen | string> {
  const out: Array<Seen | string> = [];
  try {
    let at = 0;
    for (let k = 0; at < bytes.length; k++) {
      const n = sizes[k % sizes.length]!;
      parser.push(bytes.subarray(at, at + n));
      at += n;
      while (parser.next()) out.push(seen(parser.rec));
    }
    parser.finish();
    while (parser.next()) out.push(seen(parser.rec));
  } catch (e) {
    out.push(`error: ${(e as Error).message}`);
  }
  return out;
}

function lengthOf(parser: TarSplitScanner, bytes: Uint8Array, sizes: number[]): number {
  let total = 0;
  let at = 0;
  for (let k = 0; at < bytes.length; k++) {
    const n = sizes[k % sizes.length]!;
    parser.push(bytes.subarray(at, at + n));
    at += n;
    total += parser.lengthOf();
  }
  parser.finish();
  return total + parser.lengthOf();
}

async function same(label: string, text: string | Uint8Array, chunkings: number[][] = [[1 << 30], [1], [7, 300, 5000], [65536]]): Promise<void> {
  const bytes = typeof text === "string" ? enc.encode(text) : text;
  const want = oracle(bytes);
  const wantLength = oracleLines(bytes).reduce((n, line) => n + recordTarLength(line), 0);
  for (const sizes of chunkings) {
    const scanner = await TarSplitScanner.create();
    assert.equal(drain(scanner, bytes, sizes), want, `${label}, chunks of ${sizes.join("/")}`);
    scanner.release();
    const counter = await TarSplitScanner.create();
    assert.is(lengthOf(counter, bytes, sizes), wantLength, `${label} length, chunks of ${sizes.join("/")}`);
    counter.release();
  }
}

const seg = (payload: Uint8Array, position: number) => encodeRecord({ type: 2, payload, position });
const file = (name: string, size: number, crc: Uint8Array | null, position: number) => encodeRecord({ type: 1, name, size, payload: crc, position });

test("Go-shaped lines: segments, files with and without a CRC, many lines per call", async () => {
  let text = seg(pseudoRandomBytes(512, 1), 0);
  for (let i = 0; i < 3000; i++) {
    text += seg(pseudoRandomBytes(1 + (i * 37) % 1500, i), 2 * i + 1);
    text += i % 7 === 0 ? file(`dir/empty${i}`, 0, null, -1) : file(`dir ${i}/f-${i}.txt`, i * 1000 + 1, pseudoRandomBytes(8, i + 7), -1);
  }
  text += seg(new Uint8Array(1024), 9999);
  await same("3000 files", text);
});

test("lines only JSON reads: escapes, non-ASCII and raw names, spacing, CRLF, a BOM, odd payloads", async () => {
  const lines = [
    "\uFEFF" + seg(enc.encode("first"), 0),
    seg(enc.encode("hello"), 1),
    file('quote"and\\slash', 5, pseudoRandomBytes(8, 1), -1),
    file("caf\u00e9/\u65e5\u672c", 9, pseudoRandomBytes(8, 2), -1),
    encodeRecord({ type: 1, name: "", nameRaw: new Uint8Array([0xff, 0xfe, 0x41]), size: 3, payload: pseudoRandomBytes(8, 3), position: -1 }),
    '{"type":2, "payload":"aGVsbG8=","position":4}\n',
    '{"type":2,"payload":"aGVsbG8=","position":5}\r\n',
    '{"type":2,"payload":"aGVs bG8=","position":6}\n',
    '{"type":1,"name":"short-crc","size":3,"payload":"AAEC","position":-1}\n',
    '{"type":1,"name":"no-size","payload":null,"position":-1}\n',
    '{"type":2,"payload":null,"position":7}\n',
    '{"type":2,"payload":"","position":8}\n',
    '{"type":1,"size":7,"payload":"AAECAwQFBgc=","position":-1}\n',
    '{"type":2,"payload":"aGVsbG8=","position":-12}\n',
    '{"type":1,"name":"big","size":123456789012345,"payload":"AAECAwQFBgc=","position":-1}\n',
    '{"type":1,"name":"lead0","size":0123,"payload":null,"position":-1}\n',
    "\n\n",
    seg(enc.encode("after blanks"), 9),
    "   \n",
  ];
  await same("mixed", lines.slice(0, 16).join("") + lines.slice(16, 18).join(""));
  await same("whitespace last line", seg(enc.encode("x"), 0) + seg(enc.encode("y"), 1) + "  \t ");
  await same("no newline at the end", seg(enc.encode("x"), 0) + seg(enc.encode("y"), 1).trimEnd());
  await same("a blank line in the middle is an error", seg(enc.encode("x"), 0) + "   \n" + seg(enc.encode("y"), 1));
  await same("not JSON", seg(enc.encode("x"), 0) + '{"type":2,"payload":"aGVsbG8=","position":1\n');
  await same("unknown type", seg(enc.encode("x"), 0) + '{"type":3,"payload":null,"position":1}\n');
  await same("invalid base64", seg(enc.encode("x"), 0) + '{"type":2,"payload":"a$==","position":1}\n');
});

test("a payload larger than the output area, and a line longer than the window", async () => {
  const big = pseudoRandomBytes((1 << 20) + 3, 5); // decodes past the 1 MiB output area
  const huge = pseudoRandomBytes(3 << 20, 6); // its line is longer than the 2 MiB window
  const text = seg(enc.encode("a"), 0) + file("x", 1, pseudoRandomBytes(8, 1), -1) + seg(big, 1) + file("y", 2, pseudoRandomBytes(8, 2), -1) + seg(huge, 2) + seg(enc.encode("z"), 3);
  await same("long lines", text, [[1 << 30], [1 << 20], [12345, 999999]]);
  await same("long last line", seg(enc.encode("a"), 0) + seg(huge, 1).trimEnd(), [[1 << 30], [500000]]);
});

test.run();
