/**
 * The script a wharf worker thread runs (thread-workers.ts starts it; the Node bundle ships it
 * as dist/wharf-worker.mjs): jobs from the parent port go to the shared handler, one at a time.
 */
import { parentPort } from "node:worker_threads";
import { createJobHandler } from "../worker/jobs.ts";
import { getRuntime } from "./index.ts";
import { isCodecMessage, type CodecFromWorker, type CodecToWorker, type WorkerJob } from "../worker/protocol.ts";
import { createCodecHost } from "../worker/codec-host.ts";
import { loadNativeCodecFactory } from "./node-compat.ts";

const port = parentPort;
if (!port) throw new Error("worker-entry.ts runs only as a worker thread");
// The worker's own runtime: layer files are read here, by the same adapter as the main thread's.
const handler = getRuntime().then((runtime) => createJobHandler(runtime.files));
// A codec worker's streams (codec-client.ts): answered as output comes, never queued behind jobs.
const codecs = loadNativeCodecFactory({ blockDecoders: true }).then((native) => createCodecHost(native, (message: CodecFromWorker, transfer) => port.postMessage(message, transfer)));
// Without its decoders the worker dies, so the main thread's ping fails and it decodes inline.
codecs.catch((e: unknown) => setTimeout(() => { throw e; }));
let queue: Promise<void> = Promise.resolve();
// Listening at once: a job posted while the engine loads is queued, not lost.
port.on("message", (job: WorkerJob | CodecToWorker) => {
  if (isCodecMessage(job)) {
    void codecs.then((host) => host(job));
    return;
  }
  queue = queue.then(async () => {
    const result = await (await handler)(job);
    if (result) port.postMessage(result.reply, result.transfer);
  });
  // A failed job is a bug in the worker; let it surface as the worker's error.
  queue.catch((e: unknown) => setTimeout(() => { throw e; }));
});
