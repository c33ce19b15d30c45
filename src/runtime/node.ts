/**
 * Node adapter. Node has no FFI, so device nodes, xattrs and mounts go through subprocesses
 * (coreutils `mknod`, `attr`'s `setfattr`/`getfattr`, util-linux `mount`/`umount`).
 */
import type { Runtime } from "../ports.ts";
import { cliFileOps } from "./node-cli-ops.ts";
import { nodeFiles } from "./node-files.ts";
import { cliMounts } from "./node-mounts.ts";
import { nodeProcesses } from "./node-process.ts";
import { nodeEnv, nodeStdio } from "./node-stdio.ts";
import { serverCodecs } from "./server-codecs.ts";
import { webClock, webRandom } from "./web-basics.ts";
import { threadWorkers } from "./thread-workers.ts";
import { offThreadDecoding } from "../worker/codec-client.ts";
import { nodeFetchGet } from "./node-http.ts";

export async function createNodeRuntime(): Promise<Runtime> {
  const processes = await nodeProcesses();
  const workers = threadWorkers({ typescriptLoader: true });
  const { digests, compression } = await serverCodecs();
  return {
    name: "node",
    files: await nodeFiles(cliFileOps(processes)),
    processes,
    mounts: cliMounts(processes),
    clock: webClock,
    random: webRandom,
    digests,
    // zlib inflates on libuv's threads already, but its fresh output buffers and the diffID hash
    // cost the main thread (its collector above all): layers are decoded and hashed on the codec
    // worker (pull of 250 MB: full GCs 20 -> 9, main thread -200 ms, wall -7 to -14%).
    compression: offThreadDecoding(compression, workers),
    stdio: await nodeStdio(),
    env: await nodeEnv(),
    workers,
    fetchGet: await nodeFetchGet(),
  };
}
