import { test } from "uvu";
import * as assert from "uvu/assert";
import { decompress, detectCompression, peek } from "../../src/compress/detect.ts";
import { gzipEncode } from "../../src/compress/gzip-encode.ts";
import { gunzipStream } from "../../src/compress/gzip-decode.ts";
import { portableZstdDecompress } from "../../src/compress/zstd-decode.ts";
import { Crc32 } from "../../src/compress/crc32.ts";
import { isWharfError } from "../../src/errors.ts";
import type { CompressionPort } from "../../src/ports.ts";
import { readAll } from "../../src/io/bytes.ts";

/** No native codecs: exercises the portable paths (DecompressionStream, fzstd). */
const PORTABLE: CompressionPort = {};

// `zstd -19` of the 200 lines "wharf zstd line <i>\n", i = 0..199 (3890 bytes).
const ZSTD_FRAME_HEX =
  "28b52ffd64320e9d0900c65f3e1690a99a03b0bd82d21756fe7fecd2d226528e59d71b804000380030003736353433321dce1373625242322252a12c21576b953a95b6ec8d1e8d45e25058923378db353dcb9d7f7c5634520e10870104838383c08242c3812021a080212fdfe7fff1175b5c31c5134bdc98f171c47776757473723dde1777665646362656a36d615756555453522dd61575645444342454224d410135d33cb3cc9d393fc77cb2c925933cb2c895292f877cdd7a75ead3a5b7b3dfa31f375e9cf870e1e5e4f3e0f7f6f5f4130077db5d37dd73cbdd9bf777dc679b5d36d9638b5d9bf676d8575b5d35d5534bdd9af575d4471b5d34d1430b5d9af474d037db1c80c7a81140787eff0ce0e710fe113fdbb69b6dbbadb6db36bb6d5bdbb65dfde8fffffff7fffffdff7fffffd7ed17b405b6602f4b815405832e64d4";
const ZSTD_PLAIN = Array.from({ length: 200 }, (_, i) => `wharf zstd line ${i}\n`).join("");

const fromHex = (hex: string) => Uint8Array.from(hex.match(/../g)!, (b) => parseInt(b, 16));
const text = (s: string) => new TextEncoder().encode(s);

/** A stream yielding `data` in pieces of `size` bytes (1-byte pieces test the peeking). */
function chunked(data: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= data.length) return controller.close();
      controller.enqueue(data.slice(offset, offset + size));
      offset += size;
    },
  });
}

const collect = (stream: ReadableStream<Uint8Array>) => readAll(stream);

async function gzip(data: Uint8Array, level?: number): Promise<Uint8Array> {
  return collect(chunked(data, 65536).pipeThrough(gzipEncode({ level })));
}

function corpus(length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = 12345;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = i % 3 === 0 ? x >>> 24 : 97 + ((x >>> 16) % 8);
  }
  return out;
}

test("detects compression by magic bytes", () => {
  assert.is(detectCompression(Uint8Array.of(0x1f, 0x8b, 8)), "gzip");
  assert.is(detectCompression(fromHex("28b52ffd00")), "zstd");
  assert.is(detectCompression(text("BZh91AY")), "bzip2");
  assert.is(detectCompression(fromHex("fd377a585a0000")), "xz");
  assert.is(detectCompression(fromHex("fd377a585a")), "none"); // too short for xz
  assert.is(detectCompression(text("data/")), "none");
  assert.is(detectCompression(new Uint8Array(0)), "none");
});

test("peek keeps every byte", async () => {
  const data = corpus(10_000);
  const { head, stream } = await peek(chunked(data, 1), 6);
  assert.equal(head, data.subarray(0, 6));
  assert.equal(await collect(stream), data);
  const short = await peek(chunked(Uint8Array.of(1, 2), 1), 6);
  assert.equal(short.head, Uint8Array.of(1, 2));
  assert.equal(await collect(short.stream), Uint8Array.of(1, 2));
});

test("plain data passes through decompress unchanged", async () => {
  const data = corpus(70_000);
  const { kind, stream } = await decompress(chunked(data, 1000), PORTABLE);
  assert.is(kind, "none");
  assert.equal(await collect(stream), data);
});

test("gzip round trip through the portable decoder, every level", async () => {
  const data = corpus(300_000);
  for (const level of [1, 6, 9]) {
    const compressed = await gzip(data, level);
    assert.ok(compressed.length < data.length, `level ${level} compresses`);
    assert.equal(Array.from(compressed.subarray(0, 10)), [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, level === 9 ? 2 : level === 1 ? 4 : 0, 255]);
    const { kind, stream } = await decompress(chunked(compressed, 3), PORTABLE);
    assert.is(kind, "gzip");
    assert.equal(await collect(stream), data);
  }
});

test("gzip of empty input is a valid empty member", async () => {
  const compressed = await gzip(new Uint8Array(0));
  const { stream } = await decompress(chunked(compressed, 7), PORTABLE);
  assert.equal(await collect(stream), new Uint8Array(0));
});

test("gzip output does not depend on how the input is chunked", async () => {
  const data = corpus(600_000);
  const a = await collect(chunked(data, 1 << 20).pipeThrough(gzipEncode()));
  const b = await collect(chunked(data, 4093).pipeThrough(gzipEncode()));
  assert.equal(a, b);
});

test("gzip rejects levels outside 1..9", () => {
  for (const level of [0, 10, 2.5]) {
    assert.throws(() => gzipEncode({ level }), (e: unknown) => isWharfError(e, "INVALID_ARGUMENT"));
  }
});

test("gzip trailer carries CRC-32 and ISIZE", async () => {
  const data = text("123456789");
  const crc = new Crc32();
  crc.update(data);
  assert.is(crc.value(), 0xcbf43926); // the CRC-32 check value
  const compressed = await gzip(data);
  const trailer = new DataView(compressed.buffer, compressed.byteOffset + compressed.length - 8, 8);
  assert.is(trailer.getUint32(0, true), 0xcbf43926);
  assert.is(trailer.getUint32(4, true), 9);
});

test("multi-member gzip decodes fully", async () => {
  const first = corpus(50_000);
  const second = text("second member\n".repeat(1000));
  const joined = new Uint8Array([...(await gzip(first)), ...(await gzip(second))]);
  const { stream } = await decompress(chunked(joined, 8192), PORTABLE);
  assert.equal(await collect(stream), new Uint8Array([...first, ...second]));
});

test("corrupt and truncated gzip fail with a one-line COMPRESSION error", async () => {
  const compressed = await gzip(corpus(100_000));
  const truncated = compressed.slice(0, compressed.length - 100);
  const corrupt = compressed.slice();
  for (let i = 20; i < 60; i++) corrupt[i] ^= 0x5a;
  for (const bad of [truncated, corrupt]) {
    const { stream } = await decompress(chunked(bad, 4096), PORTABLE);
    try {
      await collect(stream);
      assert.unreachable("decoding should fail");
    } catch (error) {
      assert.ok(isWharfError(error, "COMPRESSION"), String(error));
      assert.not.match((error as Error).message, "\n");
    }
  }
});

test("zstd decodes through fzstd", async () => {
  const { kind, stream } = await decompress(chunked(fromHex(ZSTD_FRAME_HEX), 5), PORTABLE);
  assert.is(kind, "zstd");
  assert.is(new TextDecoder().decode(await collect(stream)), ZSTD_PLAIN);
});

test("truncated zstd fails with COMPRESSION", async () => {
  const frame = fromHex(ZSTD_FRAME_HEX);
  const cut = frame.slice(0, frame.length - 40);
  try {
    await collect(chunked(cut, 64).pipeThrough(portableZstdDecompress()));
    assert.unreachable("decoding should fail");
  } catch (error) {
    assert.ok(isWharfError(error, "COMPRESSION"), String(error));
  }
});

test("xz and bzip2 are recognized and refused clearly", async () => {
  for (const [kind, head] of [["xz", fromHex("fd377a585a000004")], ["bzip2", text("BZh91AY&SY")]] as const) {
    try {
      await decompress(chunked(head, 2), PORTABLE);
      assert.unreachable("should refuse");
    } catch (error) {
      assert.ok(isWharfError(error, "UNSUPPORTED"));
      assert.is((error as Error).message, `unsupported compression: ${kind}`);
    }
  }
});

test("gunzipStream prefers the port's native codec", async () => {
  let used = false;
  const port: CompressionPort = {
    gunzip() {
      used = true;
      return new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>;
    },
  };
  const data = text("native path");
  assert.equal(await collect(chunked(await gzip(data), 4).pipeThrough(gunzipStream(port))), data);
  assert.ok(used);
});

test.run();
