import { test } from "uvu";
import * as assert from "uvu/assert";
import { gunzipSync, gzipSync } from "node:zlib";
import { loadNativeCodecs } from "../src/runtime/node-compat.ts";
const { digests: nativeDigestsFactory, compression: nativePort } = await loadNativeCodecs();
import { decompress } from "../src/compress/detect.ts";
import { portableZstdDecompress } from "../src/compress/zstd-decode.ts";
import { isWharfError } from "../src/errors.ts";
import { readAll } from "../src/io/bytes.ts";

const port = nativePort;
const collect = (stream: ReadableStream<Uint8Array>) => readAll(stream);
const stream = (data: Uint8Array, size = 4096) => {
  let at = 0;
  return new ReadableStream<Uint8Array>({ pull(c) { if (at >= data.length) return c.close(); c.enqueue(data.slice(at, at + size)); at += size; } });
};
const data = new Uint8Array(2_000_000).map((_, i) => (i * 2654435761) % 97 < 60 ? 97 : i & 0xff);

test("native sha256", () => {
  const d = nativeDigestsFactory.sha256();
  d.update(new TextEncoder().encode("abc"));
  assert.is(d.hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert.is(nativeDigestsFactory.kind, "native");
});

test("native gunzip decodes multi-member streams with backpressure", async () => {
  const joined = new Uint8Array([...gzipSync(data), ...gzipSync(data.subarray(0, 1000))]);
  const { kind, stream: out } = await decompress(stream(joined), port);
  assert.is(kind, "gzip");
  assert.equal(await collect(out), new Uint8Array([...data, ...data.subarray(0, 1000)]));
});

test("native codecs: input in chunks of every size (gathered into 1 MiB pieces, large ones passed through) comes out whole", async () => {
  let x = 0x9e3779b9;
  const noise = new Uint8Array(5 << 20).map(() => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x & 0xff)); // incompressible: 5 MiB of gzip
  const sizes = [1, 7000, 65536, 3 << 20, 1 << 20, 123457, (1 << 20) - 1];
  const chunked = (bytes: Uint8Array) => {
    let at = 0;
    let i = 0;
    return new ReadableStream<Uint8Array>({ pull(c) { if (at >= bytes.length) return c.close(); const n = sizes[i++ % sizes.length]!; c.enqueue(bytes.slice(at, at + n)); at += n; } });
  };
  const { stream: out } = await decompress(chunked(new Uint8Array(gzipSync(noise, { level: 1 }))), port);
  assert.ok(Buffer.from(await collect(out)).equals(noise), "gunzip");
  const encoded = await collect(chunked(noise).pipeThrough(port.gzip!()));
  assert.ok(gunzipSync(encoded).equals(noise), "gzip");
});

test("native gunzip: a written piece is consumed by the time its write resolves, so the writer may reuse its buffer", async () => {
  let x = 0x2545f491;
  const noise = new Uint8Array(4 << 20).map(() => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x & 0xff));
  const gz = new Uint8Array(gzipSync(noise, { level: 1 }));
  const codec = port.gunzip!();
  const out = collect(codec.readable);
  out.catch(() => {}); // awaited below; a corrupted piece fails it
  const writer = codec.writable.getWriter();
  const piece = new Uint8Array(1 << 20); // one buffer, refilled for every write (as the codec worker's pieces are)
  for (let at = 0; at < gz.length; at += piece.length) {
    const view = piece.subarray(0, Math.min(piece.length, gz.length - at));
    view.set(gz.subarray(at, at + view.length));
    await writer.write(view);
    piece.fill(0xa5);
  }
  await writer.close();
  assert.ok(Buffer.from(await out).equals(noise));
});

test("native gunzip: corrupt or truncated input is a COMPRESSION error", async () => {
  const gz = gzipSync(data);
  const corrupt = gz.slice();
  corrupt[corrupt.length - 6]! ^= 1; // CRC
  for (const bad of [gz.subarray(0, gz.length - 50), corrupt]) {
    const { stream: out } = await decompress(stream(new Uint8Array(bad)), port);
    try {
      await collect(out);
      assert.unreachable("should fail");
    } catch (e) {
      assert.ok(isWharfError(e, "COMPRESSION"), String(e));
    }
  }
});

test("native zstd (where node:zlib has it) agrees with fzstd", async () => {
  if (!port.zstdDecompress) return; // Node 20 has no zstd in node:zlib
  const zlib = await import("node:zlib") as unknown as { zstdCompressSync?: (b: Uint8Array) => Uint8Array };
  if (!zlib.zstdCompressSync) return;
  const frame = new Uint8Array(zlib.zstdCompressSync(data));
  const native = await collect((await decompress(stream(frame), port)).stream);
  assert.equal(native, data);
  assert.equal(await collect(stream(frame).pipeThrough(portableZstdDecompress())), data);
});

test.run();
