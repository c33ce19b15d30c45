/**
 * A process that leaves a decoded stream half read and never cancels it, then returns: the
 * codec worker must not keep it alive (codec-worker.test.ts runs it under `timeout`).
 */
import { gzipSync } from "node:zlib";
import { getRuntime } from "../../src/runtime/index.ts";

const rt = await getRuntime();
let x = 0x1234567;
const noise = new Uint8Array(6 << 20).map(() => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x & 0xff));
const gz = new Uint8Array(gzipSync(noise));
let at = 0;
const input = new ReadableStream<Uint8Array>({
  pull(c) {
    if (at >= gz.length) return c.close();
    c.enqueue(gz.slice(at, at + 65536));
    at += 65536;
  },
});
const reader = input.pipeThrough(rt.compression!.gunzip!()).getReader();
const first = await reader.read();
await rt.stdio!.stdout.getWriter().write(new TextEncoder().encode(`read ${first.value?.length ?? 0} bytes, then left the stream\n`));
