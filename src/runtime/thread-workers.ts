/**
 * WorkersPort over `node:worker_threads`, which Node, Deno and Bun all implement with ref/unref
 * (Deno's web Worker cannot be unref'd, so an idle one would keep the process alive). The
 * worker runs worker-entry.ts; in the Node bundle, dist/wharf-worker.mjs beside dist/wharf.mjs.
 */
import type { WorkerPort, WorkersPort } from "../ports.ts";

/** `typescriptLoader`: Node running wharf's sources through tsx, whose hooks a new thread lacks. */
export function threadWorkers(options: { typescriptLoader?: boolean } = {}): WorkersPort {
  const fromSources = import.meta.url.endsWith(".ts");
  const entry = new URL(fromSources ? "./worker-entry.ts" : "./wharf-worker.mjs", import.meta.url);
  return {
    // node:worker_threads is loaded on the first spawn: most commands never start a worker.
    async spawn(): Promise<WorkerPort> {
      const { Worker } = await import("node:worker_threads");
      // Resolved here, where tsx is known to be loaded; the eval script would resolve from the cwd.
      const tsx = fromSources && options.typescriptLoader ? import.meta.resolve("tsx/esm/api") : undefined;
      const worker = tsx ? new Worker(tsxBootstrap(tsx, entry.href), { eval: true }) : new Worker(entry);
      return {
        post: (message, transfer) => worker.postMessage(message, transfer),
        onMessage: (handler) => void worker.on("message", handler),
        onError: (handler) => {
          worker.on("error", handler);
          worker.on("exit", (code) => handler(new Error(`wharf worker exited with code ${code}`)));
        },
        ref: () => worker.ref(),
        unref: () => worker.unref(),
        terminate: async () => void (await worker.terminate()),
      };
    },
  };
}

/** A CommonJS eval script that registers tsx in the new thread, then loads the entry. */
function tsxBootstrap(tsx: string, entry: string): string {
  return `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
}
