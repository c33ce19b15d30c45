/**
 * Streaming tar writer with Docker's header conventions (see header-encode.ts): headers as Go's
 * archive/tar writes them, each body streamed through unchanged and zero-padded to 512 bytes,
 * and the end marker of exactly two zero blocks (Go adds no record padding).
 */
import { WharfError } from "../errors.ts";
import { BLOCK_SIZE, encodeTarHeader, isHeaderOnlyType, type TarEntryHeader } from "./header-encode.ts";
import { batchChunks } from "../io/batch.ts";

export { encodeTarHeader, isHeaderOnlyType, TypeFlag, type TarEntryHeader } from "./header-encode.ts";

export type TarBody = ReadableStream<Uint8Array> | Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** A body, or a function that opens it only when the tar reaches it (so files are not all open at once). */
export type LazyTarBody = TarBody | (() => Promise<TarBody>);

export interface TarEntry {
  header: TarEntryHeader;
  /** Exactly `header.size` bytes; absent (or empty) for directories, links and devices. */
  body?: LazyTarBody;
}

export const END_OF_ARCHIVE = new Uint8Array(2 * BLOCK_SIZE);

/** `batch` for tars of many small entries (layer diffs): headers and small bodies leave in 64 KiB chunks. */
export const SMALL_ENTRIES_BATCH = 64 << 10;

/**
 * A stream of tar bytes for `entries`, produced as the consumer pulls: a body is read only
 * while its bytes are being written and is never held whole. A body whose length differs from
 * its header's size fails the stream with TAR_HEADER.
 */
export function writeTar(entries: AsyncIterable<TarEntry> | Iterable<TarEntry>, options: { batch?: number } = {}): ReadableStream<Uint8Array> {
  // `batch`: small chunks (headers, padding, small bodies) gathered into chunks of that size.
  const chunks = options.batch ? batchChunks(tarChunks(entries), options.batch) : tarChunks(entries);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await chunks.return(undefined);
    },
  }, { highWaterMark: 0 });
}

/** The same bytes as an async generator of chunks (body chunks are passed through, not copied). */
export async function* tarChunks(entries: AsyncIterable<TarEntry> | Iterable<TarEntry>): AsyncGenerator<Uint8Array, void, undefined> {
  for await (const entry of entries) {
    yield encodeTarHeader(entry.header);
    const expected = isHeaderOnlyType(entry.header.typeflag) ? 0 : entry.header.size;
    let written = 0;
    if (entry.body !== undefined) {
      for await (const chunk of bodyChunks(entry.body)) {
        if (chunk.byteLength === 0) continue;
        written += chunk.byteLength;
        if (written > expected) break;
        yield chunk;
      }
    }
    if (written !== expected) {
      const name = typeof entry.header.name === "string" ? entry.header.name : new TextDecoder().decode(entry.header.name);
      throw new WharfError("TAR_HEADER", `tar entry ${name}: body has ${written > expected ? "more than" : "only"} ${written} bytes, header says ${expected}`);
    }
    const padding = (BLOCK_SIZE - (written % BLOCK_SIZE)) % BLOCK_SIZE;
    if (padding > 0) yield new Uint8Array(padding);
  }
  yield END_OF_ARCHIVE.slice();
}

async function* bodyChunks(lazy: LazyTarBody): AsyncGenerator<Uint8Array, void, undefined> {
  const body = typeof lazy === "function" ? await lazy() : lazy;
  if (body instanceof Uint8Array) {
    yield body;
    return;
  }
  if (body instanceof ReadableStream) {
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      // Stops a body we left early (too long, or the consumer cancelled).
      await reader.cancel().catch(() => {});
    }
  }
  yield* body as AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}
