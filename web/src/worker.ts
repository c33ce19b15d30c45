/**
 * The inspector's Web Worker: reads the dropped file as Blob slices through the core's
 * inspectArchive, so hashing and tar parsing never block the page, and posts progress and
 * the final report (plain data) back.
 */
import { archiveBytesFromBlob, inspectArchive } from "../../src/analyze/inspect.ts";
import { createBrowserRuntime } from "../../src/runtime/browser.ts";
import type { InspectRequest, WorkerMessage } from "./messages.ts";

// The browser adapter directly, not getRuntime(): its detection would pull the Node/Deno/Bun adapters into the bundle.
const runtime = createBrowserRuntime();
// The DOM lib types `self` as a Window; the webworker lib cannot be loaded beside it, so the two members used are typed here.
interface WorkerScope {
  postMessage(message: WorkerMessage): void;
  onmessage: ((event: MessageEvent<InspectRequest>) => void) | null;
}
const scope = self as unknown as WorkerScope;
const post = (msg: WorkerMessage) => scope.postMessage(msg);

/** Progress at most every 50 ms: one message per read would flood the page on a big archive. */
function throttledProgress(): (done: number, total: number) => void {
  let last = 0;
  return (done, total) => {
    const now = performance.now();
    if (now - last < 50 && done < total) return;
    last = now;
    post({ type: "progress", done, total });
  };
}

scope.onmessage = async (event: MessageEvent<InspectRequest>) => {
  if (event.data?.type !== "inspect") return;
  const start = performance.now();
  try {
    const { digests, compression } = await runtime;
    const bytes = archiveBytesFromBlob(event.data.file);
    const report = await inspectArchive(bytes, { digests, compression }, { onProgress: throttledProgress() });
    post({ type: "report", report, millis: performance.now() - start });
  } catch (err) {
    post({ type: "error", message: err instanceof Error ? err.message : String(err) });
  }
};
