/**
 * Loads the AssemblyScript tar engine (built by `scripts/build-wasm.mjs` into
 * `tar-engine.generated.ts`). Modules are compiled once per process; each engine is its own
 * instance with its own memory, so readers never share a window.
 *
 * Two builds of the same source: one owns its memory (default), one imports a shared memory.
 * Shared memory is only for callers that never hand views of it out (views of a
 * SharedArrayBuffer are refused by TextDecoder, WebCrypto and others); it lets Bun read files
 * into the window without the bounce copy it makes for plain WASM memory.
 */
import { tarEngineSharedPages, tarEngineSharedWasmBase64, tarEngineWasmBase64 } from "./tar-engine.generated.ts";

export interface TarEngineExports {
  memory: WebAssembly.Memory;
  init(): void;
  windowPtr(): number;
  windowSize(): number;
  entryTablePtr(): number;
  entryCapacity(): number;
  paxTablePtr(): number;
  crcStatePtr(): number;
  lastStop(): number;
  lastStopReason(): number;
  lastEntryCount(): number;
  scan(pos: number, end: number, flags: number): number;
  crc64(ptr: number, len: number): void;
}

const compiled = new Map<string, Promise<WebAssembly.Module>>();

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Compiles on first use (asynchronously: browsers refuse large synchronous compiles). */
function module(base64: string): Promise<WebAssembly.Module> {
  let m = compiled.get(base64);
  if (!m) {
    m = WebAssembly.compile(decodeBase64(base64));
    compiled.set(base64, m);
  }
  return m;
}

/** A shared memory for the engine, or undefined where the platform refuses one (e.g. a page without cross-origin isolation). */
function sharedMemory(): WebAssembly.Memory | undefined {
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) return undefined;
  try {
    return new WebAssembly.Memory({ initial: tarEngineSharedPages, maximum: tarEngineSharedPages, shared: true });
  } catch {
    return undefined;
  }
}

export async function instantiateTarEngine(options: { shared?: boolean } = {}): Promise<TarEngineExports> {
  const memory = options.shared ? sharedMemory() : undefined;
  // Built with --noAssert and the stub runtime: the module imports nothing but, when shared, its memory.
  const instance = memory
    ? await WebAssembly.instantiate(await module(tarEngineSharedWasmBase64), { env: { memory } })
    : await WebAssembly.instantiate(await module(tarEngineWasmBase64), {});
  const exports = (memory ? { ...instance.exports, memory } : instance.exports) as unknown as TarEngineExports;
  exports.init();
  return exports;
}
