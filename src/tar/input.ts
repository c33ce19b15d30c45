/**
 * A tar as it arrives (file or stream; plain, gzip or zstd): the uncompressed bytes as a
 * ByteSource for the tar reader, hashed as they pass — the diffID — and, when compressed, the
 * compressed bytes hashed too — the blob digest. Nothing is read twice. A plain file is read
 * straight into the reader's buffer (the WASM engine window), with no intermediate copy.
 */
import type { CompressionPort, DigesterFactory, FileHandle } from "../ports.ts";
import { decompress, detectCompression, MAGIC_PEEK_SIZE, type CompressionKind } from "../compress/index.ts";
import { digestTap, type Digest, type DigestTap } from "../hash/digest.ts";
import { prependSource, streamSource, type ByteSource } from "../io/source.ts";
import { fileReadable } from "../io/file-stream.ts";
import { WharfError } from "../errors.ts";

export interface TarInput {
  /** Uncompressed tar bytes; hashing happens inside `read`. */
  readonly source: ByteSource;
  readonly compression: CompressionKind;
  /** sha256 of the uncompressed bytes read so far; complete once `source` returned 0. */
  diffID(): { digest: Digest; size: number };
  /** sha256 of the compressed bytes; undefined for a plain tar. Complete once `source` returned 0. */
  blobDigest(): { digest: Digest; size: number } | undefined;
  /** Stops reading early (error paths). */
  cancel(reason?: unknown): Promise<void>;
}

interface Codecs {
  digests: DigesterFactory;
  compression: CompressionPort;
}

/** Wraps a source so every byte it delivers is hashed in place, in the caller's buffer. */
function hashingSource(inner: ByteSource, digests: DigesterFactory): { source: ByteSource; result(): { digest: Digest; size: number } } {
  const digester = digests.sha256();
  let size = 0;
  let finished: { digest: Digest; size: number } | undefined;
  return {
    source: {
      async read(into: Uint8Array): Promise<number> {
        const n = await inner.read(into);
        if (n > 0) {
          digester.update(into.subarray(0, n));
          size += n;
        } else if (!finished && into.length > 0) {
          finished = { digest: `sha256:${digester.hex()}`, size };
        }
        return n;
      },
    },
    result() {
      if (!finished) throw new WharfError("INVALID_ARGUMENT", "digest requested before the tar was read to its end");
      return finished;
    },
  };
}

/** Opens a tar held in a file: a plain tar is read directly; a compressed one is decoded as a stream. */
export async function openTarFile(handle: FileHandle, codecs: Codecs): Promise<TarInput> {
  const head = new Uint8Array(MAGIC_PEEK_SIZE);
  let headLength = 0;
  while (headLength < head.length) {
    const n = await handle.read(head.subarray(headLength));
    if (n === 0) break;
    headLength += n;
  }
  const kind = detectCompression(head.subarray(0, headLength));
  if (kind === "none") {
    const replayed = prependSource(head.subarray(0, headLength), handle);
    const hashed = hashingSource(replayed, codecs.digests);
    return {
      source: hashed.source,
      compression: kind,
      diffID: hashed.result,
      blobDigest: () => undefined,
      cancel: () => handle.close(),
    };
  }
  return openTarStream(fileReadable(handle, head.slice(0, headLength)), codecs);
}

/** Opens a tar arriving as a stream (stdin, a registry blob, a Blob in the browser). */
export async function openTarStream(input: ReadableStream<Uint8Array>, codecs: Codecs): Promise<TarInput> {
  const compressedTap: DigestTap = digestTap(codecs.digests);
  const tapped = input.pipeThrough(compressedTap.stream);
  const { kind, stream } = await decompress(tapped, codecs.compression);
  const inner = streamSource(stream);
  const hashed = hashingSource(inner, codecs.digests);
  return {
    source: hashed.source,
    compression: kind,
    diffID: hashed.result,
    blobDigest: () => (kind === "none" ? undefined : compressedTap.result()),
    cancel: (reason) => inner.cancel(reason),
  };
}
