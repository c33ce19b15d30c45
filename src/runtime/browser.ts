/**
 * Browser adapter: no files, processes, mounts or stdio. SHA-256 through hash-wasm; gzip
 * through the web-standard DecompressionStream when the browser has one.
 */
import { WharfError } from "../errors.ts";
import { loadWasmDigests } from "../hash/wasm.ts";
import type { CompressionPort, Runtime } from "../ports.ts";
import { webClock, webRandom } from "./web-basics.ts";

export async function createBrowserRuntime(): Promise<Runtime> {
  return {
    name: "browser",
    clock: webClock,
    random: webRandom,
    digests: await loadWasmDigests(),
    compression: webCompression(),
  };
}

function webCompression(): CompressionPort {
  if (typeof DecompressionStream !== "function") return {};
  return { gunzip: () => typedErrors(new DecompressionStream("gzip"), "gzip") };
}

/**
 * DecompressionStream fails with a bare TypeError; re-raise it as WharfError('COMPRESSION')
 * like the native decoders do. Note: it rejects data after the first gzip member, so
 * multi-member gzip needs the portable decoder.
 */
function typedErrors(codec: DecompressionStream, format: string): TransformStream<Uint8Array, Uint8Array> {
  const wrap = (e: unknown) => new WharfError("COMPRESSION", `corrupt or truncated ${format} stream: ${(e as Error)?.message ?? e}`, { cause: e });
  const reader = codec.readable.getReader();
  const writer = codec.writable.getWriter();
  const readable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value as Uint8Array);
      } catch (e) {
        throw wrap(e);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      try {
        await writer.write(chunk as Uint8Array<ArrayBuffer>); // SharedArrayBuffer views are not accepted
      } catch (e) {
        throw wrap(e);
      }
    },
    async close() {
      try {
        await writer.close();
      } catch (e) {
        throw wrap(e);
      }
    },
    abort: (reason) => writer.abort(reason),
  }, { highWaterMark: 1 });
  return { readable, writable };
}
