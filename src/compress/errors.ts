/** Turns a codec's failures into one-line WharfError COMPRESSION errors. */
import { WharfError } from "../errors.ts";
import { passDigest } from "../io/stream-digest.ts";
import { copyingSourceOf, setCopyingSource } from "../io/source.ts";

export function compressionError(format: string, error: unknown): WharfError {
  if (error instanceof WharfError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  const firstLine = detail.split("\n", 1)[0] ?? "";
  return new WharfError("COMPRESSION", `corrupt or truncated ${format} stream: ${firstLine}`, { cause: error });
}

/**
 * Wraps a decoder so that an error on its output side reaches the reader as a COMPRESSION
 * error. (Errors on its input side still reach the writer unchanged.)
 */
export function mapErrors(codec: TransformStream<Uint8Array, Uint8Array>, format: string): TransformStream<Uint8Array, Uint8Array> {
  // Taken on first use: a consumer that reads through the codec's copying source never locks it.
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const inner = (): ReadableStreamDefaultReader<Uint8Array> => (reader ??= codec.readable.getReader());
  const readable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await inner().read();
      } catch (error) {
        throw compressionError(format, error);
      }
      if (result.done) controller.close();
      else controller.enqueue(result.value);
    },
    cancel(reason) {
      return inner().cancel(reason);
    },
  }, { highWaterMark: 0 });
  passDigest(codec.readable, readable);
  const copying = copyingSourceOf(codec.readable);
  if (copying) {
    setCopyingSource(readable, () => {
      const source = copying();
      return {
        async read(into) {
          try {
            return await source.read(into);
          } catch (error) {
            throw compressionError(format, error);
          }
        },
      };
    });
  }
  return { writable: codec.writable, readable };
}
