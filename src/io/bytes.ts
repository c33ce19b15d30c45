import { WharfError } from "../errors.ts";

/**
 * Reads a whole stream into one array. For small things only (manifests, configs, test data):
 * layers are streamed, never collected. Reads through the reader rather than
 * `new Response(stream)`, which in browsers replaces the stream's own error with "Failed to fetch".
 */
export async function readAll(stream: ReadableStream<Uint8Array>, limit = Number.MAX_SAFE_INTEGER, what = "stream"): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > limit) throw new WharfError("INVALID_ARGUMENT", `${what} is larger than ${limit} bytes`);
      chunks.push(value.slice());
    }
  } catch (e) {
    await reader.cancel(e).catch(() => {});
    throw e;
  } finally {
    reader.releaseLock();
  }
  return concatBytes(chunks, size);
}

export function concatBytes(chunks: readonly Uint8Array[], size = chunks.reduce((n, c) => n + c.length, 0)): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/** A stream of chunks held in memory, one per pull. */
export function chunksReadable(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next < chunks.length) controller.enqueue(chunks[next++]!);
      else controller.close();
    },
  });
}
