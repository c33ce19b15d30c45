/**
 * Digests and codecs for the three server runtimes: all of them provide node:crypto and
 * node:zlib, so one wiring serves Node, Deno and Bun.
 */
import type { CompressionPort, DigesterFactory } from "../ports.ts";
import { loadNativeCodecs } from "./node-compat.ts";

/** `decodeChunkSize`: the decoders' output chunk size, where a runtime's own measurements favour another. */
export function serverCodecs(options: { decodeChunkSize?: number } = {}): Promise<{ digests: DigesterFactory; compression: CompressionPort }> {
  return loadNativeCodecs(options);
}
