/**
 * Bun adapter: files, processes and stdio through Bun's node:* implementations; device nodes,
 * xattrs and mounts through glibc via `bun:ffi`.
 */
import type { Runtime } from "../ports.ts";
import { openBunLibc } from "./bun-libc.ts";
import { libcFileOps, libcMounts } from "./libc.ts";
import { nodeFiles } from "./node-files.ts";
import { nodeProcesses } from "./node-process.ts";
import { nodeEnv, nodeStdio } from "./node-stdio.ts";
import { serverCodecs } from "./server-codecs.ts";
import { webClock, webRandom } from "./web-basics.ts";
import { threadWorkers } from "./thread-workers.ts";
import { offThreadDecoding } from "../worker/codec-client.ts";

export async function createBunRuntime(): Promise<Runtime> {
  const libc = await openBunLibc();
  const { mknod, setxattr, getxattr, listxattr } = libcFileOps(libc);
  const { default: process } = await import("node:process");
  const workers = threadWorkers();
  const { digests, compression } = await serverCodecs();
  return {
    name: "bun",
    files: await nodeFiles({ mknod, setxattr, getxattr, listxattr }),
    processes: await nodeProcesses(),
    mounts: libcMounts(libc, { cwd: () => process.cwd(), chdir: (path) => process.chdir(path) }),
    clock: webClock,
    random: webRandom,
    digests,
    // As on Node: layers decoded and hashed on the codec worker (pull of 250 MB: -2%, within noise).
    compression: offThreadDecoding(compression, workers),
    stdio: await nodeStdio(),
    env: await nodeEnv(),
    workers,
  };
}
