/**
 * Browser adapter: no files, processes, mounts or stdio. SHA-256 through hash-wasm. No native
 * codecs: the web-standard DecompressionStream("gzip") rejects a second gzip member as junk
 * (Chromium, Deno), and layers may be multi-member, so the portable decoders in src/compress/
 * serve the browser.
 */
import { loadWasmDigests } from "../hash/wasm.ts";
import type { Runtime } from "../ports.ts";
import { webClock, webRandom } from "./web-basics.ts";

export async function createBrowserRuntime(): Promise<Runtime> {
  return {
    name: "browser",
    clock: webClock,
    random: webRandom,
    digests: await loadWasmDigests(),
    compression: {},
  };
}
