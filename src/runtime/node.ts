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

export async function createNodeRuntime(): Promise<Runtime> {
  const processes = await nodeProcesses();
  return {
    name: "node",
    files: await nodeFiles(cliFileOps(processes)),
    processes,
    mounts: cliMounts(processes),
    clock: webClock,
    random: webRandom,
    ...(await serverCodecs()),
    stdio: await nodeStdio(),
    env: await nodeEnv(),
    workers: threadWorkers({ typescriptLoader: true }),
  };
}
