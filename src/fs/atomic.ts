/**
 * Crash-safe file replacement, as moby commits metadata: write a temp file in the same
 * directory, fsync it, rename it over the target, then fsync the directory so the rename
 * itself survives a crash. Readers see the old content or the new, never a torn file. Bytes in
 * hand go through the adapter's blocking calls where it has them: during a pull the event loop
 * is busy with the layers, and each hop to an I/O thread waits its turn there (milliseconds).
 */
import type { FileHandle, FilesPort } from "../ports.ts";
import { isWharfError } from "../errors.ts";
import { writeStreamTo, type WriteStreamOptions } from "../io/file-stream.ts";

export interface AtomicWriteOptions extends WriteStreamOptions {
  /** Permission bits of the result, exactly (not masked by the umask). Default 0o644. */
  mode?: number;
  /**
   * False: no fsync of the file or its directory (still never torn, and it survives the process
   * being killed, not a power cut), for files whose loss a crash cleanup copes with. Default true.
   */
  durable?: boolean;
}

export async function writeFileAtomic(
  files: FilesPort,
  path: string,
  data: Uint8Array | ReadableStream<Uint8Array>,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const { dir, base } = splitPath(path);
  const mode = options.mode ?? 0o644;
  const durable = options.durable ?? true;
  const temp = `${dir}/.${base}.tmp-${randomSuffix()}`;
  const ops = data instanceof Uint8Array ? files.blocking ?? files : files;
  const handle = await ops.open(temp, "wx", mode);
  let closed = false;
  try {
    await (data instanceof Uint8Array ? handle.write(data) : writeStreamTo(handle, data, options));
    if (durable) await handle.sync();
    closed = true;
    await handle.close();
    await ops.chmod(temp, mode);
    await ops.rename(temp, path);
  } catch (e) {
    if (!closed) await handle.close().catch(() => {});
    await files.remove(temp).catch(() => {});
    throw e;
  }
  if (durable) await syncDir(files, dir);
}

/** fsync of a directory makes a rename durable; file systems that cannot do it are skipped. */
async function syncDir(files: FilesPort, dir: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await files.open(dir, "r");
  } catch (e) {
    if (isWharfError(e, "IO") && (e.errno === "EISDIR" || e.errno === "EACCES")) return;
    throw e;
  }
  try {
    await handle.sync();
  } catch (e) {
    if (!(isWharfError(e, "IO") && (e.errno === "EINVAL" || e.errno === "ENOTSUP" || e.errno === "EOPNOTSUPP"))) throw e;
  } finally {
    await handle.close();
  }
}

function splitPath(path: string): { dir: string; base: string } {
  const slash = path.lastIndexOf("/");
  if (slash < 0) return { dir: ".", base: path };
  return { dir: slash === 0 ? "/" : path.slice(0, slash), base: path.slice(slash + 1) };
}

function randomSuffix(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
