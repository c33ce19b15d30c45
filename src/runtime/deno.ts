/**
 * Deno adapter: `Deno.*` for files, processes and stdio; glibc through `Deno.dlopen` for
 * mount(2), mknod(2), xattrs, lchown and lutimes, which Deno has no API for.
 */
import { WharfError } from "../errors.ts";
import type { ProcessesPort, Runtime } from "../ports.ts";
import type { DenoApi } from "./deno-api.ts";
import { denoFiles } from "./deno-files.ts";
import { openDenoLibc } from "./deno-libc.ts";
import { errorCode } from "./io-error.ts";
import { lazyLibc, libcMounts } from "./libc.ts";
import { serverCodecs } from "./server-codecs.ts";
import { webClock, webRandom } from "./web-basics.ts";
import { threadWorkers } from "./thread-workers.ts";
import { offThreadDecoding } from "../worker/codec-client.ts";
import { goArch } from "./go-arch.ts";

/**
 * Deno's node:zlib decodes on the calling thread: 256 KiB chunks measured fastest here, for
 * tar-split JSON (7.7 ms vs 14 ms with 1 MiB for 24 MB) and layer tars alike (156 vs 152-163 ms).
 */
const DECODE_CHUNK_SIZE = 256 << 10;

export async function createDenoRuntime(): Promise<Runtime> {
  const deno = (globalThis as unknown as { Deno: DenoApi }).Deno;
  const libc = lazyLibc(() => openDenoLibc(deno));
  const workers = threadWorkers();
  const { digests, compression } = await serverCodecs({ decodeChunkSize: DECODE_CHUNK_SIZE });
  return {
    name: "deno",
    files: denoFiles(deno, libc),
    processes: denoProcesses(deno),
    mounts: libcMounts(libc, { cwd: () => deno.cwd(), chdir: (path) => deno.chdir(path) }),
    clock: webClock,
    random: webRandom,
    digests,
    // Since it decodes on the calling thread, layers are decoded (and their diffIDs hashed) on the
    // codec worker, beside the main thread's tar reader (pull of 250 MB: -9% wall on tmpfs).
    compression: offThreadDecoding(compression, workers),
    stdio: {
      stdin: () => deno.stdin.readable,
      stdout: deno.stdout.writable,
      stderr: deno.stderr.writable,
      isTerminal: (fd) => [deno.stdin, deno.stdout, deno.stderr][fd].isTerminal(),
    },
    env: {
      get: (name) => deno.env.get(name),
      args: () => [...deno.args],
      cwd: () => deno.cwd(),
      uid: () => deno.uid() ?? -1,
      platform: () => ({ os: deno.build.os, architecture: goArch(deno.build.arch) }),
      exit: (code) => deno.exit(code),
    },
    workers,
  };
}

function denoProcesses(deno: DenoApi): ProcessesPort {
  return {
    async run(cmd, args, options = {}) {
      let child;
      try {
        child = new deno.Command(cmd, {
          args,
          cwd: options.cwd,
          env: options.env,
          stdin: options.stdin ? "piped" : "null",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
      } catch (e) {
        const errno = errorCode(e);
        throw new WharfError("PROCESS", `${cmd}: ${errno ?? (e as Error).message}`, { errno, cause: e });
      }
      // Feed stdin while output is collected, so a child that writes before reading cannot deadlock.
      const feeding = options.stdin ? feed(child.stdin, options.stdin) : Promise.resolve();
      const { code, stdout, stderr } = await child.output();
      await feeding;
      return { code, stdout, stderr };
    },
  };
}

async function feed(stdin: WritableStream<Uint8Array>, data: Uint8Array): Promise<void> {
  const writer = stdin.getWriter();
  try {
    await writer.write(data);
    await writer.close();
  } catch {
    // The child exited without reading all of it; its exit code tells the story.
  }
}
