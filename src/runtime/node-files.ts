/**
 * FilesPort over `node:fs/promises`, shared by the Node and Bun adapters (Bun implements the
 * module). Device nodes and xattrs are not in node:fs; each adapter supplies them.
 * node:* modules are imported dynamically so a browser bundle without code splitting carries
 * no top-level `import "node:…"` (esbuild hoists static imports of externals).
 */
import type { Stats } from "node:fs";
import type * as NodeFs from "node:fs/promises";
import type { FileHandle, FileInfo, FileKind, FilesPort, OpenMode } from "../ports.ts";
import { errorCode, io } from "./io-error.ts";

/** What a runtime adds to node:fs to make a full FilesPort. */
export type NativeFileOps = Pick<FilesPort, "mknod" | "setxattr" | "getxattr" | "listxattr">;

const OPEN_FLAGS: Record<OpenMode, string> = { r: "r", w: "w", wx: "wx", a: "a" };

export async function nodeFiles(native: NativeFileOps): Promise<FilesPort> {
  const fs = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const removePath = async (path: string, recursive: boolean): Promise<void> => {
    if (recursive) return fs.rm(path, { recursive: true, force: false });
    // Like Deno.remove: a file or an empty directory.
    const info = await fs.lstat(path);
    if (info.isDirectory()) await fs.rmdir(path);
    else await fs.unlink(path);
  };
  return {
    ...native,
    open: (path, mode, perm) => io("open", path, async () => wrapHandle(path, await fs.open(path, OPEN_FLAGS[mode], perm ?? 0o666))),
    readFile: (path) => io("read", path, async () => {
      const b = await fs.readFile(path);
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    }),
    writeFile: (path, data, perm) => io("write", path, () => fs.writeFile(path, data, { mode: perm ?? 0o666 })),
    mkdir: (path, options) => io("mkdir", path, async () => {
      await fs.mkdir(path, { recursive: options?.recursive ?? false, mode: options?.mode ?? 0o777 });
    }),
    readdir: (path) => io("readdir", path, () => fs.readdir(path)),
    lstat: (path) => statOrNull("lstat", path, () => fs.lstat(path)),
    stat: (path) => statOrNull("stat", path, () => fs.stat(path)),
    rename: (from, to) => io("rename", from, () => fs.rename(from, to)),
    remove: (path, options) => io("remove", path, () => removePath(path, options?.recursive ?? false)),
    symlink: (target, path) => io("symlink", path, () => fs.symlink(target, path)),
    readlink: (path) => io("readlink", path, () => fs.readlink(path)),
    link: (existing, path) => io("link", path, () => fs.link(existing, path)),
    chmod: (path, mode) => io("chmod", path, () => fs.chmod(path, mode)),
    lchown: (path, uid, gid) => io("lchown", path, () => fs.lchown(path, uid, gid)),
    lutimes: (path, atimeMs, mtimeMs) => io("lutimes", path, () => fs.lutimes(path, atimeMs / 1000, mtimeMs / 1000)),
    makeTempDir: (prefix, parent) => io("mkdtemp", parent ?? tmpdir(), () => fs.mkdtemp(join(parent ?? tmpdir(), prefix))),
  };
}

async function statOrNull(op: string, path: string, fn: () => Promise<Stats>): Promise<FileInfo | null> {
  try {
    return toFileInfo(await fn());
  } catch (e) {
    if (errorCode(e) === "ENOENT") return null;
    return io(op, path, () => Promise.reject(e));
  }
}

function kindOf(s: Stats): FileKind {
  if (s.isFile()) return "file";
  if (s.isDirectory()) return "dir";
  if (s.isSymbolicLink()) return "symlink";
  if (s.isCharacterDevice()) return "char";
  if (s.isBlockDevice()) return "block";
  if (s.isFIFO()) return "fifo";
  if (s.isSocket()) return "socket";
  return "unknown";
}

function toFileInfo(s: Stats): FileInfo {
  return {
    kind: kindOf(s),
    size: s.size,
    mode: s.mode & 0o7777,
    uid: s.uid,
    gid: s.gid,
    mtimeMs: s.mtimeMs,
    ino: s.ino,
    dev: s.dev,
    nlink: s.nlink,
    rdev: s.rdev,
  };
}

function wrapHandle(path: string, h: NodeFs.FileHandle): FileHandle {
  return {
    read: (into, position) => io("read", path, async () => (await h.read(into, 0, into.length, position ?? null)).bytesRead),
    write: (data, position) => io("write", path, async () => {
      let done = 0;
      while (done < data.length) {
        const at = position === undefined || position === null ? null : position + done;
        const { bytesWritten } = await h.write(data, done, data.length - done, at);
        done += bytesWritten;
      }
    }),
    sync: () => io("fsync", path, () => h.sync()),
    close: () => io("close", path, () => h.close()),
  };
}
