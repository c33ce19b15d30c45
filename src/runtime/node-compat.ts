/**
 * Native SHA-256 and decompression through `node:crypto` / `node:zlib`, which Node, Deno and Bun
 * all provide. The node, deno and bun adapters use these; the browser adapter does not import
 * this file. node:crypto and node:zlib are imported dynamically: a bundler without code splitting
 * hoists static imports of externals to the top of the bundle, where a browser would fail on them.
 * Abilities are detected by feature (zstd exists in Bun's and Deno's node:zlib, not
 * in Node 20's), never by runtime name.
 */
import type { Transform } from "node:stream";
import type { CompressionPort, Digester, DigesterFactory } from "../ports.ts";
import { WharfError } from "../errors.ts";
import { ChunkPool } from "../io/chunk-pool.ts";
import { PieceGatherer } from "../io/piece-gatherer.ts";
import { compressionError } from "../compress/errors.ts";
import { handleGunzip } from "./zlib-handle.ts";

/** Output chunk size of the native decoders unless the adapter asks otherwise: 1 MiB measured fastest on Node 20 (~10% over 256 KiB) and Bun. */
const DECODE_CHUNK_SIZE = 1024 * 1024;
/**
 * tar-split.json.gz is only ever read back (never compared as bytes), so the fastest level: on a
 * 20 000-file layer its ~14 MB of JSON took ~45 ms of CPU less than at Go's default level 6,
 * where Deno compresses on the main thread (pull: -5% on Deno, -3% on Node).
 */
const GZIP_LEVEL = 1;
/** Output chunk size of the native encoder (its output is a tenth of its input or less). */
const ENCODE_CHUNK_SIZE = 256 * 1024;
/**
 * Input goes to zlib in pieces of this size: every write is a hop to an I/O thread and back, and
 * fetch delivers 64 KiB chunks (gunzip of a 150 MB blob: 250 ms in 64 KiB writes, 100 ms in 1 MiB).
 */
const INPUT_PIECE = 1024 * 1024;
/** Filled input pieces kept for reuse once zlib has consumed them. */
const SPARE_PIECES = 2;
/** Decoded chunks held before zlib is paused (backpressure). */
const OUTPUT_QUEUE_CHUNKS = 2;

type NodeCrypto = typeof import("node:crypto");
type NodeZlib = typeof import("node:zlib");

/** Loads node:crypto and node:zlib once and returns the native digests and codecs. */
export async function loadNativeCodecs(options: { decodeChunkSize?: number } = {}): Promise<{ digests: DigesterFactory; compression: CompressionPort }> {
  const { digests, codecs } = await loadNativeCodecFactory();
  return { digests, compression: codecs(options.decodeChunkSize ?? DECODE_CHUNK_SIZE) };
}

/**
 * Native digests, and node:zlib's codecs at any output chunk size (the codec worker's, made per
 * stream). `blockDecoders`: detect gunzipInto too; only the codec worker uses it, and the probe
 * costs a cold command (`wharf images`) ~2 ms on the main thread.
 */
export async function loadNativeCodecFactory(options: { blockDecoders?: boolean } = {}): Promise<{ digests: DigesterFactory; codecs: (decodeChunkSize: number) => CompressionPort }> {
  const [crypto, zlib] = await Promise.all([import("node:crypto"), import("node:zlib")]);
  const gunzipInto = options.blockDecoders ? handleGunzip(zlib) : undefined;
  return { digests: nativeDigests(crypto), codecs: (decodeChunkSize) => nativeCompression(zlib, decodeChunkSize, gunzipInto) };
}

function nativeDigests({ createHash }: NodeCrypto): DigesterFactory {
  return {
    kind: "native",
    sha256(): Digester {
      const hash = createHash("sha256");
      return {
        update(data: Uint8Array): void {
          hash.update(data);
        },
        hex(): string {
          return hash.digest("hex");
        },
      };
    },
  };
}

type ZstdFactory = (options?: { chunkSize?: number }) => Transform;

function nativeCompression(zlib: NodeZlib, decodeChunkSize: number, gunzipInto: CompressionPort["gunzipInto"]): CompressionPort {
  const port: CompressionPort = {
    gunzip: () => transformFromNode(zlib.createGunzip({ chunkSize: decodeChunkSize }), "gzip"),
    gzip: () => transformFromNode(zlib.createGzip({ level: GZIP_LEVEL, chunkSize: ENCODE_CHUNK_SIZE }), "gzip"),
  };
  if (gunzipInto) port.gunzipInto = gunzipInto;
  const createZstdDecompress = (zlib as unknown as { createZstdDecompress?: ZstdFactory }).createZstdDecompress;
  if (typeof createZstdDecompress === "function") {
    port.zstdDecompress = () => transformFromNode(createZstdDecompress({ chunkSize: decodeChunkSize }), "zstd");
  }
  return port;
}

/**
 * Wraps a node:zlib Transform as a web transform pair with backpressure both ways: writes wait
 * for zlib's `drain`, and output is read from zlib only when the consumer pulls. A write of a
 * piece or more resolves only once zlib has consumed it: the writer owns its buffer again.
 */
function transformFromNode(codec: Transform, format: string): TransformStream<Uint8Array, Uint8Array> {
  let failure: WharfError | undefined;
  let ended = false;
  // The reader (waiting for output) and the writer (waiting for drain) may wait at once.
  let waiters: Array<() => void> = [];
  const notify = (): void => {
    const woken = waiters;
    waiters = [];
    for (const waiter of woken) waiter();
  };
  const waitForEvent = (): Promise<void> => new Promise<void>((resolve) => waiters.push(resolve));
  // Flowing mode with pause/resume: `read()` in paused mode concatenates every buffered chunk
  // into one new buffer (a copy of all output); 'data' hands each chunk over as zlib made it.
  const queue: Uint8Array[] = [];
  codec.on("data", (chunk: Uint8Array) => {
    queue.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if (queue.length >= OUTPUT_QUEUE_CHUNKS) codec.pause();
    notify();
  });
  codec.on("drain", notify);
  codec.on("end", () => {
    ended = true;
    notify();
  });
  codec.on("error", (error: unknown) => {
    failure ??= compressionError(format, error);
    notify();
  });

  const readable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        if (failure) throw failure;
        const chunk = queue.shift();
        if (chunk !== undefined) {
          if (queue.length < OUTPUT_QUEUE_CHUNKS) codec.resume();
          controller.enqueue(chunk);
          return;
        }
        if (ended) {
          controller.close();
          return;
        }
        codec.resume();
        await waitForEvent();
      }
    },
    cancel() {
      codec.destroy();
    },
  });
  // Small chunks are gathered into a piece; a piece zlib has consumed is reused (no new buffer per piece).
  const pieces = new ChunkPool(INPUT_PIECE, SPARE_PIECES);
  const gatherer = new PieceGatherer(INPUT_PIECE, () => pieces.get(), async (bytes, gathered) => {
    if (gathered) {
      codec.write(bytes, () => pieces.release(bytes));
      // One piece may wait while zlib works on another, so gathering the next overlaps the work.
      while (codec.writableLength > INPUT_PIECE && !failure) await waitForEvent();
    } else {
      // The caller's own chunk: the write resolves once zlib is done with it, so the caller may
      // reuse it (the codec worker hands its pieces back to the main thread).
      let consumed = false;
      codec.write(bytes, () => {
        consumed = true;
        notify();
      });
      while (!consumed && !failure) await waitForEvent();
    }
    if (failure) throw failure;
  });
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      if (failure) throw failure;
      await gatherer.write(chunk);
    },
    close() {
      if (failure) throw failure;
      const rest = gatherer.takeRest();
      if (rest) codec.write(rest);
      codec.end();
    },
    abort(reason) {
      // The input failed (a broken download, say): the reader waiting for output must hear of it,
      // and destroy() alone emits neither 'end' nor 'error'.
      failure ??= compressionError(format, reason);
      codec.destroy();
      notify();
    },
  });
  return { readable, writable };
}
