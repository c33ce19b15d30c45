// gzip decoded into the caller's buffers (runtime/zlib-handle.ts, CompressionPort.gunzipInto) and
// the codec worker's block path (worker/codec-host.ts): the same bytes and digests as the
// streaming decoder, whatever the sizes of input pieces and output buffers; buffers sent full
// while input waits; corrupt, truncated and cancelled streams ending as they should.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { getRuntime } from "../src/runtime/index.ts";
import { loadNativeCodecFactory } from "../src/runtime/node-compat.ts";
import { createCodecHost } from "../src/worker/codec-host.ts";
import type { CodecFromWorker } from "../src/worker/protocol.ts";
import type { BlockDecoder } from "../src/ports.ts";
import { isWharfError } from "../src/errors.ts";
import { concatBytes } from "../src/io/bytes.ts";

const rt = await getRuntime();
const native = await loadNativeCodecFactory({ blockDecoders: true });
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

let x = 0x51ed270b;
const noise = (n: number) => new Uint8Array(n).map(() => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x & 0xff));
// Stored blocks and Huffman blocks both.
const data = new Uint8Array([...noise(600_000), ...new TextEncoder().encode("a layer's text, ".repeat(60_000))]);
const gz = new Uint8Array(gzipSync(data));

const gunzipInto = (): BlockDecoder => {
  const make = native.codecs(1 << 20).gunzipInto;
  assert.ok(make, `${rt.name}: node:zlib's Gunzip has no writeSync handle, so the codec worker streams`);
  return make();
};

/** Everything `input` decodes to, fed in pieces of `pieceSizes` (round and round), into outputs of `outSize`. */
function decodeAll(input: Uint8Array, pieceSizes: number[], outSize: number): Uint8Array {
  const decoder = gunzipInto();
  const parts: Uint8Array[] = [];
  const out = new Uint8Array(outSize + 3).subarray(3); // a view that does not start its buffer
  try {
    for (let at = 0, i = 0; at < input.length; i++) {
      const piece = input.subarray(at, at + pieceSizes[i % pieceSizes.length]!);
      at += piece.length;
      for (let read = 0; ;) {
        const step = decoder.decode(piece.subarray(read), out);
        read += step.read;
        parts.push(out.slice(0, step.written));
        if (step.written < out.length) break;
      }
    }
    for (;;) {
      const written = decoder.finish(out);
      parts.push(out.slice(0, written));
      if (written < out.length) break;
    }
  } finally {
    decoder.close();
  }
  return concatBytes(parts);
}

test("gunzipInto is detected only when asked for (the codec worker asks; a cold main thread does not probe)", async () => {
  assert.ok(native.codecs(1 << 20).gunzipInto);
  assert.is((await loadNativeCodecFactory()).codecs(1 << 20).gunzipInto, undefined);
});

test("gunzipInto: the same bytes for any input pieces and output buffers", () => {
  for (const [pieces, outSize] of [[[1 << 20], 1 << 20], [[1, 2, 3, 4096, 100_000], 1000], [[gz.length], 7], [[65_537], 65_536]] as const) {
    assert.equal(decodeAll(gz, [...pieces], outSize), data, `pieces ${pieces}, output ${outSize}`);
  }
});

test("gunzipInto: several members and trailing zeros, as node:zlib's gunzip reads them", () => {
  const joined = new Uint8Array([...gzipSync(data.subarray(0, 5000)), ...gz, ...new Uint8Array(100)]);
  assert.equal(decodeAll(joined, [4096], 3000), new Uint8Array([...data.subarray(0, 5000), ...data]));
});

test("gunzipInto: corrupt and truncated streams are COMPRESSION errors; a closed decoder throws", () => {
  const corrupt = gz.slice();
  corrupt[corrupt.length - 6]! ^= 0xff; // the CRC-32 of the trailer
  for (const [name, bad, cause] of [["corrupt", corrupt, /incorrect data check/], ["truncated", gz.subarray(0, gz.length - 9), /unexpected end of file/], ["not gzip", new TextEncoder().encode("plain text, not gzip"), /incorrect header check/]] as const) {
    try {
      decodeAll(bad, [4096], 4096);
      assert.unreachable(`${name} decoded`);
    } catch (e) {
      assert.ok(isWharfError(e) && e.code === "COMPRESSION", `${name}: ${e}`);
      assert.match((e as Error).message, /^corrupt or truncated gzip stream: /);
      assert.match((e as Error).message, cause);
    }
  }
  const decoder = gunzipInto();
  decoder.close();
  assert.throws(() => decoder.decode(gz, new Uint8Array(10)), /the decoder is closed/);
});

/** A codec host with real decoders, driven on this thread: what it posts, by stream. */
function host() {
  const posted: CodecFromWorker[] = [];
  let changed: (() => void) | undefined;
  const send = createCodecHost(native, (message) => {
    posted.push(message);
    changed?.();
  });
  const until = async (ok: () => boolean): Promise<void> => {
    while (!ok()) await new Promise<void>((resolve) => (changed = resolve));
  };
  return { send, posted, until };
}

const piecesOf = (bytes: Uint8Array, size: number) => {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.slice(at, at + size));
  return out;
};

test("codec host, gzip: buffers of the chunk size, each sent full while input waits; digests of output and input", async () => {
  const { send, posted, until } = host();
  const chunkSize = 64 << 10;
  send({ kind: "codec-open", stream: 7, format: "gzip", chunkSize });
  for (let i = 0; i < 1000; i++) send({ kind: "codec-credit", stream: 7 });
  // Every piece is queued before the first is decoded: only the last buffer may be short.
  for (const piece of piecesOf(gz, 100_000)) send({ kind: "codec-in", stream: 7, buf: piece.buffer as ArrayBuffer, length: piece.length });
  send({ kind: "codec-end", stream: 7 });
  await until(() => posted.some((m) => m.kind === "codec-done" || m.kind === "codec-error"));
  const outs = posted.filter((m) => m.kind === "codec-out");
  assert.equal(concatBytes(outs.map((m) => new Uint8Array(m.buf, 0, m.length))), data);
  assert.ok(outs.slice(0, -1).every((m) => m.length === chunkSize), `lengths ${outs.map((m) => m.length)}`);
  assert.is(posted.filter((m) => m.kind === "codec-taken").length, Math.ceil(gz.length / 100_000));
  const end = posted.find((m) => m.kind === "codec-done");
  assert.equal(end, { kind: "codec-done", stream: 7, digest: sha256(data), inputDigest: sha256(gz) });
});

test("codec host, gzip: output waits for credit, and what is decoded goes out once no input waits", async () => {
  const { send, posted, until } = host();
  const chunkSize = 1 << 20;
  send({ kind: "codec-open", stream: 8, format: "gzip", chunkSize });
  const first = gz.slice(0, 10_000);
  send({ kind: "codec-in", stream: 8, buf: first.buffer as ArrayBuffer, length: first.length });
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.is(posted.length, 0, "no output and no piece taken without a credit");
  send({ kind: "codec-credit", stream: 8 });
  await until(() => posted.some((m) => m.kind === "codec-taken"));
  const out = posted.find((m) => m.kind === "codec-out");
  assert.ok(out && out.kind === "codec-out" && out.length > 0 && out.length < chunkSize, "the short buffer went out");
  assert.equal(new Uint8Array(out.buf, 0, out.length), data.subarray(0, out.length));
  send({ kind: "codec-abort", stream: 8 });
});

test("codec host, gzip: a corrupt stream posts one COMPRESSION error and nothing after it", async () => {
  const { send, posted, until } = host();
  const corrupt = gz.slice();
  corrupt.fill(0x55, 2000, 2100);
  send({ kind: "codec-open", stream: 9, format: "gzip", chunkSize: 1 << 20 });
  for (let i = 0; i < 10; i++) send({ kind: "codec-credit", stream: 9 });
  for (const piece of piecesOf(corrupt, 50_000)) send({ kind: "codec-in", stream: 9, buf: piece.buffer as ArrayBuffer, length: piece.length });
  send({ kind: "codec-end", stream: 9 });
  await until(() => posted.some((m) => m.kind === "codec-error"));
  await new Promise((resolve) => setTimeout(resolve, 20));
  const errors = posted.filter((m) => m.kind === "codec-error");
  assert.is(errors.length, 1);
  assert.match((errors[0] as { message: string }).message, /^corrupt or truncated gzip stream: /);
  assert.is((errors[0] as { code?: string }).code, "COMPRESSION");
  assert.not.ok(posted.some((m) => m.kind === "codec-done"));
  assert.is(posted.at(-1)!.kind, "codec-error");
});

test.run();
