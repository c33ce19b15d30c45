import type { FileHandle } from "../ports.ts";

/** Chunk size for file streams: large enough that per-chunk overhead vanishes next to the copy. */
const FILE_CHUNK = 1 << 20;
const END_PROBE = 512;

/**
 * A file as a ReadableStream, after `prefix` (bytes already read from it). Reads are pulled,
 * so a slow consumer never makes the file pile up in memory. The handle is closed at the end
 * or on cancel.
 */
export function fileReadable(handle: FileHandle, prefix?: Uint8Array, sizeHint?: number): ReadableStream<Uint8Array> {
  let head = prefix && prefix.length > 0 ? prefix : undefined;
  // With the file's expected size (after `prefix`), each read asks for what is left (then a small
  // probe for the end) instead of a fresh full chunk: reading many small files stays cheap.
  let left = sizeHint;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (head) {
          controller.enqueue(head);
          head = undefined;
          return;
        }
        const buffer = new Uint8Array(left === undefined ? FILE_CHUNK : left > 0 ? Math.min(left, FILE_CHUNK) : END_PROBE);
        const n = await handle.read(buffer);
        if (left !== undefined) left = left > 0 ? left - n : undefined; // data past the hint: back to full chunks
        if (n === 0) {
          await handle.close();
          controller.close();
        } else {
          controller.enqueue(n === buffer.length ? buffer : buffer.subarray(0, n));
        }
      },
      async cancel() {
        await handle.close();
      },
    },
    { highWaterMark: 0 },
  );
}

export interface WriteStreamOptions {
  /** Called with each chunk once written: for a caller that owns the stream's chunks (ChunkPool.release). */
  recycle?: (chunk: Uint8Array) => void;
}

/**
 * Writes a stream into an open file, chunk by chunk (the file is not closed). Where the handle
 * writes in a blocking call, each chunk is written as it comes (into the page cache that costs
 * less than an I/O thread's hop); otherwise the next chunk is pulled while the last one is
 * being written, so the producer's work overlaps the write instead of alternating with it.
 */
export async function writeStreamTo(handle: FileHandle, stream: ReadableStream<Uint8Array>, options: WriteStreamOptions = {}): Promise<void> {
  const reader = stream.getReader();
  let writing: Promise<void> | undefined;
  const recycle = options.recycle;
  try {
    if (handle.writeSync) {
      // Blocking writes into the page cache: cheaper than a hop to an I/O thread per chunk.
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        handle.writeSync(value);
        recycle?.(value);
      }
    }
    for (;;) {
      const next = reader.read();
      if (writing) await Promise.all([writing, next]);
      const { done, value } = await next;
      if (done) return;
      writing = recycle ? handle.write(value).then(() => recycle(value)) : handle.write(value);
      writing.catch(() => {}); // awaited with the next read
    }
  } catch (e) {
    await reader.cancel(e).catch(() => {});
    await writing?.catch(() => {});
    throw e;
  } finally {
    reader.releaseLock();
  }
}
