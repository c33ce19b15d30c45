// Layers decoded on the codec worker (worker/codec-client.ts, codec-host.ts), as the Node and
// Deno adapters do: the same bytes as the inline decoder, the output's SHA-256 handed to the
// layer store (stream-digest.ts), and corrupt, truncated, cancelled and aborted streams ending
// with the error each deserves, while the worker goes on serving other streams.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { getRuntime } from "../src/runtime/index.ts";
import { offThreadDecoder } from "../src/worker/codec-client.ts";
import { createCodecHost } from "../src/worker/codec-host.ts";
import { loadNativeCodecs } from "../src/runtime/node-compat.ts";
import { producerDigest, sinkDigest } from "../src/io/stream-digest.ts";
import { decompress } from "../src/compress/detect.ts";
import { concatBytes, readAll } from "../src/io/bytes.ts";
import { streamSource } from "../src/io/source.ts";
import { isWharfError, WharfError } from "../src/errors.ts";
import { openStore } from "../src/store/root.ts";
import { writeTar } from "../src/tar/writer.ts";
import type { FilesPort, WorkersPort } from "../src/ports.ts";
import { wharfCommand } from "./support/cli.ts";

const rt = await getRuntime();
const workers = rt.workers as WorkersPort;
const { compression: inline } = await loadNativeCodecs();
const decoder = () => offThreadDecoder(workers, "gzip", () => inline.gunzip!());
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

let x = 0x2545f491;
const noise = (n: number) => new Uint8Array(n).map(() => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x & 0xff));
// Half incompressible, half text: stored and Huffman blocks both, over several output chunks.
const data = new Uint8Array([...noise(3 << 20), ...new TextEncoder().encode("layer text, ".repeat(250_000))]);
const gz = new Uint8Array(gzipSync(data));

/** `bytes` in chunks of the given sizes, round and round (tiny ones gathered, large ones passed). */
const chunked = (bytes: Uint8Array, sizes = [1, 7000, 65536, 3 << 20, 123457, (1 << 20) - 1]) => {
  let at = 0;
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (at >= bytes.length) return c.close();
      const n = sizes[i++ % sizes.length]!;
      c.enqueue(bytes.slice(at, at + n));
      at += n;
    },
  });
};

test("decodes on the worker: the same bytes, and the worker's SHA-256 of them and of its input", async () => {
  const codec = decoder();
  const out = chunked(gz).pipeThrough(codec);
  const produced = await producerDigest(out);
  const taken = await sinkDigest(codec.writable);
  assert.ok(produced && taken, `${rt.name}: the stream was decoded inline, not on the codec worker`);
  assert.equal(await readAll(out), data);
  assert.is(await produced!.hex, sha256(data));
  assert.is(await taken!.hex, sha256(gz));
});

test("the runtime's gunzip and decompress() keep the worker's digests for the reader", async () => {
  const { stream, inputDigest } = await decompress(chunked(gz, [65536]), rt.compression!, rt.digests);
  const produced = await producerDigest(stream);
  assert.ok(produced, `${rt.name} decodes inline`);
  assert.equal(await readAll(stream), data);
  assert.is(await produced!.hex, sha256(data));
  assert.is(await inputDigest.hex, sha256(gz));
});

test("three streams at once come out whole, each with its own digest", async () => {
  const inputs = [data.subarray(0, 1 << 20), data.subarray(1 << 20), new TextEncoder().encode("small")];
  const results = await Promise.all(inputs.map(async (bytes) => {
    const out = chunked(new Uint8Array(gzipSync(bytes)), [4096, 1 << 20]).pipeThrough(decoder());
    const produced = await producerDigest(out);
    return { bytes: await readAll(out), hex: await produced!.hex };
  }));
  results.forEach((r, i) => {
    assert.equal(r.bytes, inputs[i]);
    assert.is(r.hex, sha256(inputs[i]!));
  });
});

test("a corrupt stream fails its reader with a COMPRESSION error, and the digest is never given", async () => {
  const bad = gz.slice();
  bad.fill(0x55, 200_000, 200_400);
  const codec = decoder();
  const out = chunked(bad).pipeThrough(codec);
  const produced = await producerDigest(out);
  const taken = await sinkDigest(codec.writable);
  try {
    await readAll(out);
    assert.unreachable("corrupt gzip decoded");
  } catch (e) {
    assert.ok(isWharfError(e, "COMPRESSION"), String(e));
    assert.match((e as Error).message, /gzip/);
  }
  await produced!.hex.then(() => assert.unreachable("a digest for a failed stream"), () => {});
  await taken!.hex.then(() => assert.unreachable("an input digest for a failed stream"), () => {});
});

test("a truncated stream fails with a COMPRESSION error", async () => {
  const out = chunked(gz.subarray(0, gz.length - 1000)).pipeThrough(decoder());
  try {
    await readAll(out);
    assert.unreachable("truncated gzip decoded");
  } catch (e) {
    assert.ok(isWharfError(e, "COMPRESSION"), String(e));
  }
});

test("the input's own failure reaches the reader unchanged", async () => {
  const broken = new WharfError("NETWORK", "blob sha256:abc: connection lost");
  let sent = false;
  const input = new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent) return c.error(broken);
      sent = true;
      c.enqueue(gz.slice(0, 300_000));
    },
  });
  try {
    await readAll(input.pipeThrough(decoder()));
    assert.unreachable("a broken input decoded");
  } catch (e) {
    assert.is(e, broken);
  }
});

test("a reader that stops early cancels its stream; the worker serves the next one", async () => {
  const reader = chunked(gz).pipeThrough(decoder()).getReader();
  const first = await reader.read();
  assert.ok(first.value && first.value.length > 0);
  await reader.cancel();
  assert.equal(await readAll(chunked(gz).pipeThrough(decoder())), data);
});

test("a copying reader gets the bytes while spent buffers go back to the worker; a stream's own chunks are never reused", async () => {
  // The tar reader's way: streamSource copies each chunk out, so the worker may fill it again.
  const copied = decompress(chunked(gz, [65536]), rt.compression!).then(async ({ stream }) => {
    const source = streamSource(stream);
    assert.ok(stream.locked);
    const out = new Uint8Array(data.length + 1);
    let filled = 0;
    for (let n; (n = await source.read(out.subarray(filled, filled + 100_000))) > 0;) filled += n;
    return out.subarray(0, filled);
  });
  // A plain reader owns its chunks: held to the end, each must still hold what it held.
  const held: Uint8Array[] = [];
  const reader = chunked(gz, [65536]).pipeThrough(decoder()).getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) held.push(r.value);
  assert.ok(held.length > 3, "several chunks");
  assert.equal(concatBytes(held), data);
  assert.equal(await copied, data);
});

test("without a worker thread the decoder runs inline: the same bytes, no producer digest", async () => {
  const none: WorkersPort = { spawn: () => Promise.reject(new Error("no threads here")) };
  const out = chunked(gz).pipeThrough(offThreadDecoder(none, "gzip", () => inline.gunzip!()));
  assert.is(await producerDigest(out), undefined);
  assert.equal(await readAll(out), data);
});

test("a codec worker that dies mid-stream fails the stream with an error naming it", async () => {
  // A stand-in worker: it answers the ping, then dies on the first input piece.
  const dying: WorkersPort = {
    spawn: async () => {
      const onMessage: Array<(m: unknown) => void> = [];
      const onError: Array<(e: Error) => void> = [];
      return {
        post: (message: unknown) => {
          const kind = (message as { kind: string }).kind;
          if (kind === "codec-ping") queueMicrotask(() => onMessage.forEach((h) => h({ kind: "codec-pong", stream: 0 })));
          if (kind === "codec-in") queueMicrotask(() => onError.forEach((h) => h(new Error("worker exited with code 1"))));
        },
        onMessage: (h) => void onMessage.push(h),
        onError: (h) => void onError.push(h),
        ref: () => {},
        unref: () => {},
        terminate: async () => {},
      };
    },
  };
  try {
    await readAll(chunked(gz).pipeThrough(offThreadDecoder(dying, "gzip", () => inline.gunzip!())));
    assert.unreachable("decoded on a dead worker");
  } catch (e) {
    assert.ok(isWharfError(e, "IO"), String(e));
    assert.match((e as Error).message, /codec worker failed: worker exited with code 1/);
  }
});

test("a stream left half read does not keep its process alive", async () => {
  const [cmd, prefix] = await wharfCommand();
  const child = new URL("./support/codec-child.ts", import.meta.url).pathname;
  // The runtime and its arguments, with the child script in place of the CLI's entry.
  const args = [...prefix.slice(0, -1), child];
  const r = await rt.processes!.run("timeout", ["60", cmd, ...args]);
  assert.is(r.code, 0, `exit ${r.code} (124: still running after 60 s): ${new TextDecoder().decode(r.stderr)}`);
  assert.match(new TextDecoder().decode(r.stdout), /^read \d+ bytes, then left the stream/);
});

test("a layer registered from a worker-decoded stream gets the diffID of its tar", async () => {
  const files = rt.files as FilesPort;
  const root = await files.makeTempDir("wharf-codec-");
  try {
    const body = noise(100_000);
    const tar = await readAll(writeTar([
      { header: { name: "etc/", typeflag: "5", mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 1_700_000_000 } },
      { header: { name: "etc/blob", typeflag: "0", mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: 1_700_000_000 }, body },
    ]));
    // Zeros past the end-of-archive blocks are in the diffID too: the store reads to the very end.
    const padded = new Uint8Array([...tar, ...new Uint8Array(10_240)]);
    const store = await openStore({ root, driver: "vfs", runtime: rt });
    try {
      const { stream } = await decompress(chunked(new Uint8Array(gzipSync(padded)), [5000]), rt.compression!);
      const layer = await store.layers.register(stream, undefined);
      assert.is(layer.diffID, `sha256:${sha256(padded)}`);
      await store.layers.release(layer);
    } finally {
      await store.close();
    }
  } finally {
    await files.remove(root, { recursive: true });
  }
});


test("the worker fills a spent output buffer again, even when it first held a short chunk", async () => {
  // Driven on this thread: an identity "decoder" emits each input piece as one output chunk.
  const chunkSize = 1024;
  const identity = () => new TransformStream<Uint8Array, Uint8Array>();
  const outs: ArrayBuffer[] = [];
  let arrived: (() => void) | undefined;
  const host = createCodecHost({ digests: rt.digests, codecs: () => ({ gunzip: identity }) }, (message) => {
    if (message.kind === "codec-out") outs.push(message.buf), arrived?.();
  });
  const next = (size: number, returned?: ArrayBuffer) => {
    const got = new Promise<void>((resolve) => (arrived = resolve));
    host({ kind: "codec-credit", stream: 1, buf: returned });
    host({ kind: "codec-in", stream: 1, buf: new Uint8Array(size).fill(size & 0xff).buffer, length: size });
    return got.then(() => outs.at(-1)!);
  };
  host({ kind: "codec-open", stream: 1, format: "gzip", chunkSize });
  const short = await next(10);
  const full = await next(chunkSize, short);
  assert.is(full, short, "a buffer that held 10 bytes serves the next full chunk");
  assert.is(await next(chunkSize, full), full);
  assert.is(new Set(outs).size, 1);
  host({ kind: "codec-abort", stream: 1 });
});

test.run();
