/**
 * zstd decoding: the runtime's native codec when the port has one, else fzstd (pure JS).
 */
import { Decompress } from "fzstd";
import type { CompressionPort } from "../ports.ts";
import { compressionError, mapErrors } from "./errors.ts";

export function zstdDecompressStream(port: CompressionPort): TransformStream<Uint8Array, Uint8Array> {
  if (port.zstdDecompress) return mapErrors(port.zstdDecompress(), "zstd");
  return portableZstdDecompress();
}

/** fzstd in streaming mode; a frame cut short is reported when the input ends. */
export function portableZstdDecompress(): TransformStream<Uint8Array, Uint8Array> {
  let controllerRef: TransformStreamDefaultController<Uint8Array> | undefined;
  let sawInput = false;
  let sawFinal = false;
  const decoder = new Decompress((chunk, final) => {
    if (chunk.length > 0) controllerRef?.enqueue(chunk);
    if (final) sawFinal = true;
  });
  return new TransformStream<Uint8Array, Uint8Array>({
    start(controller) {
      controllerRef = controller;
    },
    transform(chunk) {
      if (chunk.length === 0) return;
      sawInput = true;
      try {
        decoder.push(chunk);
      } catch (error) {
        throw compressionError("zstd", error);
      }
    },
    flush() {
      try {
        decoder.push(new Uint8Array(0), true);
      } catch (error) {
        throw compressionError("zstd", error);
      }
      if (sawInput && !sawFinal) throw compressionError("zstd", new Error("unexpected end of data"));
    },
  });
}
