/**
 * FilesPort over `Deno.*`. Deno has no mknod, xattr, lchown or lutimes: those come from
 * glibc through FFI (`libcFileOps`).
 */
import type { FileHandle, FileInfo, FileKind, FilesPort, OpenMode } from "../ports.ts";
import type { DenoApi, DenoFileInfo, DenoFsFile, DenoOpenOptions } from "./deno-api.ts";
import { errorCode, io, ioError, ioSync } from "./io-error.ts";
import { WRITE_PIECE } from "./write-size.ts";
import { libcFileOps, type Libc } from "./libc.ts";
import { libcFileReads, type LibcFileReads } from "./libc-reads.ts";

const OPEN_OPTIONS: Record<OpenMode, DenoOpenOptions> = {
  r: { read: true },
  w: { write: true, create: true, truncate: true },
  wx: { write: true, createNew: true },
  a: { append: true, create: true },
};

const SEEK_START = 0;

export function denoFiles(deno: DenoApi, libc: Libc): FilesPort {
  const statOrNull = async (op: string, path: string, fn: () => Promise<DenoFileInfo>): Promise<FileInfo | null> => {
    try {
      return toFileInfo(await fn());
    } catch (e) {
      if (errorCode(e) === "ENOENT") return null;
      return io(op, path, () => Promise.reject(e));
    }
  };
  const native = libcFileOps(libc);
  const lstatSync = (path: string): FileInfo | null => ioSync("lstat", path, () => {
    try {
      return toFileInfo(deno.lstatSync(path));
    } catch (e) {
      if (errorCode(e) === "ENOENT") return null;
      throw e;
    }
  });
  // Reads by openat(2) with O_NOFOLLOW where FFI is allowed (libc-reads.ts): Deno's own open needs an lstat first.
  let ffiReads: LibcFileReads | null | undefined;
  const reads = (): LibcFileReads | null => {
    if (ffiReads === undefined) {
      try {
        libc.errno(); // opens libc, or throws without the FFI permission
        ffiReads = libcFileReads(libc, deno.build.arch) ?? null;
      } catch {
        ffiReads = null;
      }
    }
    return ffiReads;
  };
  return {
    ...native,
    open: (path, mode, perm) => io("open", path, async () => wrapFile(path, await deno.open(path, { ...OPEN_OPTIONS[mode], mode: perm ?? 0o666 }))),
    readFile: (path) => io("read", path, () => deno.readFile(path)),
    // Deno applies `mode` to an existing file as well; Node (and the port) only on creation.
    writeFile: (path, data, perm) =>
      io("write", path, async () => {
        const exists = perm !== undefined && (await deno.lstat(path).then(() => true, () => false));
        await deno.writeFile(path, data, exists || perm === undefined ? {} : { mode: perm });
      }),
    mkdir: (path, options) => io("mkdir", path, () => deno.mkdir(path, { recursive: options?.recursive ?? false, mode: options?.mode ?? 0o777 })),
    // Blocking calls: for a small file in the page cache they cost far less than two async ops.
    readSmallFile: (path, limit) => io("read", path, async () => {
      const info = smallRegularFile(deno, path, limit);
      return info ? deno.readFileSync(path) : info;
    }),
    readFileInto: (path, into) => ioSync("read", path, () => {
      const ffi = reads();
      if (ffi) return ffi.readFileInto(path, into);
      const info = smallRegularFile(deno, path, into.length);
      return info ? readFileSync(deno, path, into.subarray(0, info.size), 0) : info;
    }),
    // Without FFI, an lstat first tells a symlink or FIFO (Deno's open has no O_NOFOLLOW).
    readFileAt: (path, into, position) => ioSync("read", path, () => {
      const ffi = reads();
      if (ffi) return ffi.readFileAt(path, into, position);
      return smallRegularFile(deno, path, Infinity) ? readFileSync(deno, path, into, position) : null;
    }),
    openDirReader: (dir) => {
      const reader = reads()?.openDirReader(dir);
      if (!reader) return undefined;
      // The path for an error message is joined only when one is thrown.
      const named = <T>(rel: string, read: () => T): T => {
        try {
          return read();
        } catch (e) {
          throw ioError("read", `${dir}/${rel}`, e);
        }
      };
      return {
        readFileInto: (rel, into) => named(rel, () => reader.readFileInto(rel, into)),
        readFileAt: (rel, into, position) => named(rel, () => reader.readFileAt(rel, into, position)),
        close: () => reader.close(),
      };
    },
    readdir: (path) => io("readdir", path, async () => {
      const names: string[] = [];
      for await (const entry of deno.readDir(path)) names.push(entry.name);
      return names;
    }),
    // Blocking calls, as for readSmallFile: one op per entry instead of a round trip per entry.
    lstatDir: (path) => io("readdir", path, async () => {
      const out: Array<{ name: string; info: FileInfo }> = [];
      const prefix = path.endsWith("/") ? path : `${path}/`;
      for (const { name } of deno.readDirSync(path)) {
        let info: DenoFileInfo;
        try {
          info = deno.lstatSync(prefix + name);
        } catch (e) {
          if (errorCode(e) === "ENOENT") continue;
          throw e;
        }
        out.push({ name, info: toFileInfo(info) });
      }
      return out;
    }),
    // createFile from libcFileOps: open, write, owner, mode and times as blocking libc calls.
    lstat: (path) => statOrNull("lstat", path, () => deno.lstat(path)),
    lstatSync,
    stat: (path) => statOrNull("stat", path, () => deno.stat(path)),
    rename: (from, to) => io("rename", from, () => deno.rename(from, to)),
    remove: (path, options) => io("remove", path, () => deno.remove(path, { recursive: options?.recursive ?? false })),
    symlink: (target, path) => io("symlink", path, () => deno.symlink(target, path)),
    readlink: (path) => io("readlink", path, () => deno.readLink(path)),
    link: (existing, path) => io("link", path, () => deno.link(existing, path)),
    chmod: (path, mode) => io("chmod", path, () => deno.chmod(path, mode)),
    // lchown and lutimes go through libc, which blocks anyway.
    blocking: {
      lstat: async (path) => lstatSync(path),
      mkdir: (path, options) => io("mkdir", path, async () => deno.mkdirSync(path, { recursive: options?.recursive ?? false, mode: options?.mode ?? 0o777 })),
      symlink: (target, path) => io("symlink", path, async () => deno.symlinkSync(target, path)),
      link: (existing, path) => io("link", path, async () => deno.linkSync(existing, path)),
      chmod: (path, mode) => io("chmod", path, async () => deno.chmodSync(path, mode)),
      lchown: native.lchown,
      lutimes: native.lutimes,
      open: (path, mode, perm) => io("open", path, async () => blockingFile(path, deno.openSync(path, { ...OPEN_OPTIONS[mode], mode: perm ?? 0o666 }))),
      rename: (from, to) => io("rename", from, async () => deno.renameSync(from, to)),
      writeFile: (path, data, perm) =>
        io("write", path, async () => {
          const exists = perm !== undefined && lstatSync(path) !== null;
          deno.writeFileSync(path, data, exists || perm === undefined ? {} : { mode: perm });
        }),
    },
    makeTempDir: (prefix, parent) => io("mkdtemp", parent ?? "temp dir", () => deno.makeTempDir({ prefix, dir: parent })),
  };
}

function kindOf(i: DenoFileInfo): FileKind {
  if (i.isFile) return "file";
  if (i.isDirectory) return "dir";
  if (i.isSymlink) return "symlink";
  if (i.isCharDevice) return "char";
  if (i.isBlockDevice) return "block";
  if (i.isFifo) return "fifo";
  if (i.isSocket) return "socket";
  return "unknown";
}

function toFileInfo(i: DenoFileInfo): FileInfo {
  return {
    kind: kindOf(i),
    size: i.size,
    mode: (i.mode ?? 0) & 0o7777,
    uid: i.uid ?? 0,
    gid: i.gid ?? 0,
    mtimeMs: i.mtime?.getTime() ?? 0,
    ino: i.ino ?? 0,
    dev: i.dev,
    nlink: i.nlink ?? 1,
    rdev: i.rdev ?? 0,
  };
}

/** Deno files have no pread/pwrite: a position is a seek first, which moves the file offset. */
function wrapFile(path: string, file: DenoFsFile): FileHandle {
  return {
    read: (into, position) => io("read", path, async () => {
      if (position !== undefined && position !== null) await file.seek(position, SEEK_START);
      return (await file.read(into)) ?? 0;
    }),
    write: (data, position) => io("write", path, async () => {
      if (position !== undefined && position !== null) await file.seek(position, SEEK_START);
      for (let done = 0; done < data.length;) done += await file.write(data.subarray(done, done + WRITE_PIECE));
    }),
    writeSync: (data) => ioSync("write", path, () => {
      for (let done = 0; done < data.length;) done += file.writeSync(data.subarray(done, done + WRITE_PIECE));
    }),
    sync: () => io("fsync", path, () => file.sync()),
    close: () => io("close", path, async () => file.close()),
  };
}

/** A handle whose reads, writes and close block (FilesPort.blocking's `open`); fsync stays async. */
function blockingFile(path: string, file: ReturnType<DenoApi["openSync"]>): FileHandle {
  return {
    ...wrapFile(path, file),
    read: (into, position) => io("read", path, async () => {
      if (position !== undefined && position !== null) file.seekSync(position, SEEK_START);
      return file.readSync(into) ?? 0;
    }),
    write: (data, position) => io("write", path, async () => {
      if (position !== undefined && position !== null) file.seekSync(position, SEEK_START);
      for (let done = 0; done < data.length;) done += file.writeSync(data.subarray(done, done + WRITE_PIECE));
    }),
  };
}

/** Bytes of the file at `path` from `position` until `into` is full or the file ends. */
function readFileSync(deno: DenoApi, path: string, into: Uint8Array, position: number): number {
  const file = deno.openSync(path, { read: true });
  try {
    if (position > 0) file.seekSync(position, SEEK_START);
    let filled = 0;
    while (filled < into.length) {
      const n = file.readSync(into.subarray(filled));
      if (!n) break;
      filled += n;
    }
    return filled;
  } finally {
    file.close();
  }
}

/** lstat of a file about to be read whole: null when missing or not a regular file, undefined when over `limit`. */
function smallRegularFile(deno: DenoApi, path: string, limit: number): DenoFileInfo | null | undefined {
  let info: DenoFileInfo;
  try {
    info = deno.lstatSync(path);
  } catch (e) {
    if (errorCode(e) === "ENOENT" || errorCode(e) === "ENOTDIR") return null;
    throw e;
  }
  if (!info.isFile) return null;
  return info.size > limit ? undefined : info;
}
