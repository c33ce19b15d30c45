/**
 * Compression detection by magic bytes, as `docker load` does it, and a `decompress` that peeks
 * at a stream's first bytes without losing them.
 */
import type { CompressionPort, DigesterFactory } from "../ports.ts";
import { hashingStream, sinkDigest, type StreamDigest } from "../io/stream-digest.ts";
import { WharfError } from "../errors.ts";
import { gunzipStream } from "./gzip-decode.ts";
import { zstdDecompressStream } from "./zstd-decode.ts";

export type CompressionKind = "gzip" | "zstd" | "bzip2" | "xz" | "none";

const MAGICS: ReadonlyArray<{ kind: Exclude<CompressionKind, "none">; bytes: readonly number[] }> = [
  { kind: "gzip", bytes: [0x1f, 0x8b] },
  { kind: "zstd", bytes: [0x28, 0xb5, 0x2f, 0xfd] },
  { kind: "bzip2", bytes: [0x42, 0x5a, 0x68] }, // "BZh"
  { kind: "xz", bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
];

/** Longest magic; `decompress` peeks this many bytes (fewer if the stream is shorter). */
export const MAGIC_PEEK_SIZE = 6;

export function detectCompression(head: Uint8Array): CompressionKind {
  for (const magic of MAGICS) {
    if (head.length >= magic.bytes.length && magic.bytes.every((b, i) => head[i] === b)) return magic.kind;
  }
  return "none";
}

export interface Decompressed {
  kind: CompressionKind;
  /** The uncompressed bytes (the input itself when it was not compressed). */
  stream: ReadableStream<Uint8Array>;
}

/**
 * Detects the compression of `input` and returns its decoded stream. bzip2 and xz are
 * recognized but not decoded: they fail with a clear UNSUPPORTED error.
 */
export async function decompress(input: ReadableStream<Uint8Array>, port: CompressionPort): Promise<Decompressed>;
/**
 * The same, with the SHA-256 of the input (a pull's blob digest): the decoder's when it hashes
 * what it is given (the codec worker, off this thread), else hashed here on the way in.
 */
export async function decompress(input: ReadableStream<Uint8Array>, port: CompressionPort, digests: DigesterFactory): Promise<Decompressed & { inputDigest: StreamDigest }>;
export async function decompress(input: ReadableStream<Uint8Array>, port: CompressionPort, digests?: DigesterFactory): Promise<Decompressed & { inputDigest?: StreamDigest }> {
  const { head, stream } = await peek(input, MAGIC_PEEK_SIZE);
  const kind = detectCompression(head);
  if (kind === "bzip2" || kind === "xz") {
    await stream.cancel().catch(() => {});
    throw new WharfError("UNSUPPORTED", `unsupported compression: ${kind}`);
  }
  const codec = kind === "gzip" ? gunzipStream(port) : kind === "zstd" ? zstdDecompressStream(port) : undefined;
  if (!digests) return { kind, stream: codec ? stream.pipeThrough(codec) : stream };
  const byCodec = codec && (await sinkDigest(codec.writable));
  if (codec && byCodec) return { kind, stream: stream.pipeThrough(codec), inputDigest: byCodec };
  const hashed = hashingStream(stream, digests);
  return { kind, stream: codec ? hashed.stream.pipeThrough(codec) : hashed.stream, inputDigest: hashed.digest };
}

/**
 * Reads until at least `size` bytes (or the end) are seen and returns them together with a
 * stream that yields everything, those bytes included.
 */
export async function peek(input: ReadableStream<Uint8Array>, size: number): Promise<{ head: Uint8Array; stream: ReadableStream<Uint8Array> }> {
  const reader = input.getReader();
  const seen: Uint8Array[] = [];
  let seenLength = 0;
  let ended = false;
  while (seenLength < size) {
    const { done, value } = await reader.read();
    if (done) {
      ended = true;
      break;
    }
    if (value.byteLength === 0) continue;
    seen.push(value);
    seenLength += value.byteLength;
  }
  const head = new Uint8Array(Math.min(size, seenLength));
  let filled = 0;
  for (const chunk of seen) {
    if (filled === head.length) break;
    const part = chunk.subarray(0, head.length - filled);
    head.set(part, filled);
    filled += part.length;
  }
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const replay = seen.shift();
      if (replay !== undefined) {
        controller.enqueue(replay);
        return;
      }
      if (ended) {
        controller.close();
        return;
      }
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  return { head, stream };
}
