/**
 * Gathers small chunks into larger ones: a tar of many small files is otherwise a stream of
 * 512-byte headers and tiny bodies, and each chunk costs its consumer a full stream round trip.
 */

/**
 * The same bytes as `chunks`, with runs of chunks smaller than `size / 2` copied into buffers of
 * up to `size` bytes; larger chunks pass through uncopied (after what was gathered before them).
 */
export async function* batchChunks(chunks: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array, void, undefined> {
  let buffer = new Uint8Array(size);
  let fill = 0;
  for await (const chunk of chunks) {
    if (chunk.length >= size / 2 || fill + chunk.length > size) {
      if (fill > 0) {
        yield buffer.subarray(0, fill);
        buffer = new Uint8Array(size); // the consumer may still hold the previous one
        fill = 0;
      }
      if (chunk.length >= size / 2) {
        yield chunk;
        continue;
      }
    }
    buffer.set(chunk, fill);
    fill += chunk.length;
  }
  if (fill > 0) yield buffer.subarray(0, fill);
}
