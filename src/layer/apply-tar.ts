/**
 * One pass over a layer tar: the bytes are hashed as they are read (the diffID), recorded as
 * tar-split records (gzipped into the staged `tar-split.json.gz`) and each entry is handed to the
 * driver's applier. Nothing of the layer is buffered beyond the tar reader's window.
 */
import type { CompressionPort, DigesterFactory, FileHandle, FilesPort } from "../ports.ts";
import type { LayerApplier } from "../graphdriver/driver.ts";
import { toByteSource, type ByteInput, type ByteSource } from "../io/source.ts";
import { TarSplitter } from "../tar/tarsplit.ts";
import { RecordLineWriter } from "../tar/tarsplit-encode.ts";
import { gzipEncode } from "../compress/index.ts";
import { producerDigest } from "../io/stream-digest.ts";
import type { DiffID } from "./layer.ts";

export interface AppliedTar {
  diffID: DiffID;
  /** The driver's size of the applied layer (the `size` file). */
  size: number;
}

/** Lines are gathered to about this size before they go to the compressor. */
const RECORD_BATCH = 64 * 1024;

export async function applyLayerTar(
  input: ByteInput,
  applier: LayerApplier,
  tarSplitPath: string,
  files: FilesPort,
  digests: DigesterFactory,
  compression: CompressionPort,
): Promise<AppliedTar> {
  const source = toByteSource(input);
  // A stream decoded on a worker comes hashed already: the splitter reads it to its very end,
  // so the worker's digest is of exactly the bytes read here.
  const produced = input instanceof ReadableStream ? await producerDigest(input) : undefined;
  const hashed = produced ? { source, digest: async () => `sha256:${await produced.hex}` as DiffID } : hashingSource(source, digests);
  // tar-split.json.gz is read back, never compared as bytes: the native gzip where there is one,
  // and the fastest level either way.
  const sink = await gzipFileSink(files, tarSplitPath, 0o644, compression.gzip?.() ?? gzipEncode({ level: 1 }));
  const lines = new RecordLineWriter();
  try {
    // The line writer encodes each record at once: the splitter may hand it views (transient).
    const splitter = new TarSplitter(hashed.source, (record) => lines.write(record), (entry) => applier.apply(entry), true);
    while (await splitter.step()) {
      if (lines.length >= RECORD_BATCH) await sink.write(lines.take());
    }
    if (lines.length > 0) await sink.write(lines.take());
    const size = await applier.finish();
    await sink.close();
    return { diffID: await hashed.digest(), size };
  } catch (e) {
    await applier.settle?.();
    await sink.abort(e);
    // A stream is cancelled so its producer stops; a handle stays the caller's to close.
    if (input instanceof ReadableStream) await (source as { cancel?: (r: unknown) => Promise<void> }).cancel?.(e).catch(() => {});
    throw e;
  }
}

/** Hashes exactly the bytes the reader gets, in the buffer it reads into (no copy). */
function hashingSource(source: ByteSource, digests: DigesterFactory): { source: ByteSource; digest(): Promise<DiffID> } {
  const digester = digests.sha256();
  return {
    source: {
      async read(into: Uint8Array): Promise<number> {
        const n = await source.read(into);
        if (n > 0) digester.update(into.subarray(0, n));
        return n;
      },
    },
    digest: async () => `sha256:${digester.hex()}` as DiffID,
  };
}

interface FileSink {
  write(bytes: Uint8Array): Promise<void>;
  /** Flushes the compressor, syncs and closes the file. */
  close(): Promise<void>;
  abort(reason: unknown): Promise<void>;
}

/** A gzip-compressing file writer with backpressure: `write` resolves once the compressor took the bytes. */
async function gzipFileSink(files: FilesPort, path: string, mode: number, gzip: TransformStream<Uint8Array, Uint8Array>): Promise<FileSink> {
  const handle: FileHandle = await files.open(path, "wx", mode);
  const writer = gzip.writable.getWriter();
  const reader = gzip.readable.getReader();
  const drained = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      await handle.write(value);
    }
  })();
  // A failed drain must fail the writer too, or `write` would wait forever on backpressure.
  drained.catch((e) => writer.abort(e).catch(() => {}));
  let closed = false;
  return {
    async write(bytes) {
      await writer.write(bytes);
    },
    async close() {
      await writer.close();
      await drained;
      await handle.sync();
      closed = true;
      await handle.close();
    },
    async abort(reason) {
      await writer.abort(reason).catch(() => {});
      await reader.cancel(reason).catch(() => {});
      await drained.catch(() => {});
      if (!closed) await handle.close().catch(() => {});
    },
  };
}
