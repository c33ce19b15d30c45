/**
 * FilesPort over `node:fs/promises`, shared by the Node and Bun adapters (Bun implements the
 * module). Device nodes and xattrs are not in node:fs; each adapter supplies them.
 * node:* modules are imported dynamically so a browser bundle without code splitting carries
 * no top-level `import "node:…"` (esbuild hoists static imports of externals).
 * The per-file calls (open, read, write, close, stat, chmod, chown, utimes…) use the callback
 * API on plain fds: on Node it costs about half what `fs/promises` and its FileHandle do.
 */
import type { Stats } from "node:fs";
import type * as NodeFsCb from "node:fs";
import type { FileHandle, FileInfo, FileKind, FilesPort, OpenMode } from "../ports.ts";
import { errorCode, io, ioSync } from "./io-error.ts";
import { WRITE_PIECE } from "./write-size.ts";

/** What a runtime adds to node:fs to make a full FilesPort. */
export type NativeFileOps = Pick<FilesPort, "mknod" | "setxattr" | "getxattr" | "listxattr" | "xattrTree">;

const OPEN_FLAGS: Record<OpenMode, string> = { r: "r", w: "w", wx: "wx", a: "a" };

/** A callback-style fs call as a promise. */
function call<T>(start: (done: (e: NodeJS.ErrnoException | null, value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => start((e, value) => (e ? reject(e) : resolve(value))));
}

export async function nodeFiles(native: NativeFileOps): Promise<FilesPort> {
  const fs = await import("node:fs/promises");
  const { default: cb } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const removePath = async (path: string, recursive: boolean): Promise<void> => {
    // Bun's rm fails with ENOENT when an entry under `path` goes meanwhile: what is left goes in another pass.
    for (let pass = 1; recursive; pass++) {
      try {
        return await fs.rm(path, { recursive: true, force: false });
      } catch (e) {
        if (pass === 3 || errorCode(e) !== "ENOENT" || !cb.existsSync(path)) throw e;
      }
    }
    // Like Deno.remove: a file or an empty directory.
    const info = await fs.lstat(path);
    if (info.isDirectory()) await fs.rmdir(path);
    else await fs.unlink(path);
  };
  const lstatSync = (path: string): FileInfo | null => ioSync("lstat", path, () => {
    const s = cb.lstatSync(path, { throwIfNoEntry: false });
    return s ? toFileInfo(s) : null;
  });
  return {
    ...native,
    open: (path, mode, perm) => io("open", path, async () => wrapFd(cb, path, await call<number>((d) => cb.open(path, OPEN_FLAGS[mode], perm ?? 0o666, d)))),
    readFile: (path) => io("read", path, async () => {
      const b = await fs.readFile(path);
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    }),
    writeFile: (path, data, perm) => io("write", path, () => fs.writeFile(path, data, { mode: perm ?? 0o666 })),
    mkdir: (path, options) => io("mkdir", path, async () => {
      await call<string | undefined>((d) => cb.mkdir(path, { recursive: options?.recursive ?? false, mode: options?.mode ?? 0o777 }, d));
    }),
    readSmallFile: (path, limit) => io("read", path, async () => readSmallSync(cb, path, limit)),
    readFileInto: (path, into) => ioSync("read", path, () => readIntoSync(cb, path, into)),
    readFileAt: (path, into, position) => ioSync("read", path, () => readAtSync(cb, path, into, position)),
    readdir: (path) => io("readdir", path, () => fs.readdir(path)),
    lstatDir: (path) => io("readdir", path, async () => lstatDirSync(cb, path)),
    createFile: (path, data, meta) => io("create", path, async () => createFileSync(cb, path, data, meta)),
    lstat: (path) => statOrNull("lstat", path, () => call<Stats>((d) => cb.lstat(path, d))),
    lstatSync,
    stat: (path) => statOrNull("stat", path, () => call<Stats>((d) => cb.stat(path, d))),
    rename: (from, to) => io("rename", from, () => fs.rename(from, to)),
    remove: (path, options) => io("remove", path, () => removePath(path, options?.recursive ?? false)),
    symlink: (target, path) => io("symlink", path, () => call<void>((d) => cb.symlink(target, path, d))),
    readlink: (path) => io("readlink", path, () => fs.readlink(path)),
    link: (existing, path) => io("link", path, () => call<void>((d) => cb.link(existing, path, d))),
    chmod: (path, mode) => io("chmod", path, () => call<void>((d) => cb.chmod(path, mode, d))),
    lchown: (path, uid, gid) => io("lchown", path, () => call<void>((d) => cb.lchown(path, uid, gid, d))),
    lutimes: (path, atimeMs, mtimeMs) => io("lutimes", path, () => call<void>((d) => cb.lutimes(path, atimeMs / 1000, mtimeMs / 1000, d))),
    blocking: {
      lstat: async (path) => lstatSync(path),
      mkdir: (path, options) => io("mkdir", path, async () => void cb.mkdirSync(path, { recursive: options?.recursive ?? false, mode: options?.mode ?? 0o777 })),
      symlink: (target, path) => io("symlink", path, async () => cb.symlinkSync(target, path)),
      link: (existing, path) => io("link", path, async () => cb.linkSync(existing, path)),
      chmod: (path, mode) => io("chmod", path, async () => cb.chmodSync(path, mode)),
      lchown: (path, uid, gid) => io("lchown", path, async () => cb.lchownSync(path, uid, gid)),
      lutimes: (path, atimeMs, mtimeMs) => io("lutimes", path, async () => cb.lutimesSync(path, atimeMs / 1000, mtimeMs / 1000)),
      open: (path, mode, perm) => io("open", path, async () => wrapFd(cb, path, cb.openSync(path, OPEN_FLAGS[mode], perm ?? 0o666), true)),
      rename: (from, to) => io("rename", from, async () => cb.renameSync(from, to)),
      writeFile: (path, data, perm) => io("write", path, async () => cb.writeFileSync(path, data, { mode: perm ?? 0o666 })),
    },
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

/** `blocking`: read, write and close as blocking calls (FilesPort.blocking's `open`); fsync still on an I/O thread. */
function wrapFd(cb: typeof NodeFsCb, path: string, fd: number, blocking = false): FileHandle {
  let closed = false;
  return {
    read: (into, position) => io("read", path, () => blocking ? Promise.resolve(cb.readSync(fd, into, 0, into.length, position ?? null)) : call<number>((d) => cb.read(fd, into, 0, into.length, position ?? null, d))),
    write: (data, position) => io("write", path, async () => {
      let done = 0;
      while (done < data.length) {
        const at = position === undefined || position === null ? null : position + done;
        const length = Math.min(data.length - done, WRITE_PIECE);
        done += blocking ? cb.writeSync(fd, data, done, length, at) : await call<number>((d) => cb.write(fd, data, done, length, at, d));
      }
    }),
    writeSync: (data) => ioSync("write", path, () => {
      for (let done = 0; done < data.length;) done += cb.writeSync(fd, data, done, Math.min(data.length - done, WRITE_PIECE), null);
    }),
    sync: () => io("fsync", path, () => call<void>((d) => cb.fsync(fd, d))),
    close: () => io("close", path, async () => {
      // Closing twice must not close an fd number the process has since reused.
      if (closed) return;
      closed = true;
      if (blocking) cb.closeSync(fd);
      else await call<void>((d) => cb.close(fd, d));
    }),
  };
}

/**
 * The blocking open of a small regular file: lstat (null when missing or not a regular file,
 * undefined when larger than `limit`), then open without following a symlink or waiting on a
 * FIFO. For a small file in the page cache these take microseconds, far less than round trips
 * through the libuv pool.
 */
function openSmallSync(cb: typeof NodeFsCb, path: string, limit: number): { fd: number; size: number } | null | undefined {
  let info: Stats | undefined;
  try {
    info = cb.lstatSync(path, { throwIfNoEntry: false });
  } catch (e) {
    if (errorCode(e) === "ENOTDIR") return null;
    throw e;
  }
  if (!info?.isFile()) return null;
  if (info.size > limit) return undefined;
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = cb.constants;
  try {
    return { fd: cb.openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK), size: info.size };
  } catch (e) {
    if (errorCode(e) === "ENOENT" || errorCode(e) === "ELOOP") return null;
    throw e;
  }
}

function readSmallSync(cb: typeof NodeFsCb, path: string, limit: number): Uint8Array | null | undefined {
  const opened = openSmallSync(cb, path, limit);
  if (!opened) return opened;
  try {
    // One byte more than the size: a file that grew since the lstat shows it.
    let buffer = new Uint8Array(opened.size + 1);
    let filled = 0;
    for (;;) {
      if (filled === buffer.length) {
        const bigger = new Uint8Array(buffer.length * 2);
        bigger.set(buffer);
        buffer = bigger;
      }
      const n = cb.readSync(opened.fd, buffer, filled, buffer.length - filled, null);
      if (n === 0) break;
      filled += n;
    }
    return buffer.subarray(0, filled);
  } finally {
    cb.closeSync(opened.fd);
  }
}

const PROBE = new Uint8Array(1);

/**
 * readFileInto without a stat (a stat per file cost more than its read): opened without
 * following a final symlink or waiting on a FIFO, read until a short read (a caller that leaves a
 * byte of room past the size it expects needs one read per file) or until `into` is full, then
 * one byte more to tell a larger file; a stat only when nothing or too much came. What is not a
 * file is missing.
 */
function readIntoSync(cb: typeof NodeFsCb, path: string, into: Uint8Array): number | null | undefined {
  const fd = openToRead(cb, path);
  if (fd === null) return null;
  try {
    let filled = 0;
    while (filled < into.length) {
      const want = into.length - filled;
      const n = cb.readSync(fd, into, filled, want, null);
      filled += n;
      if (n < want) break; // a short read is a regular file's end: no read of nothing to confirm it
    }
    if (filled === into.length) {
      if (cb.readSync(fd, PROBE, 0, 1, null) === 0) return filled;
    } else if (filled > 0) {
      return filled;
    }
    // Empty, or more than fits: only now is a stat worth it, to tell a FIFO or device from a file.
    if (!cb.fstatSync(fd).isFile()) return null;
    return filled < into.length ? filled : undefined;
  } catch (e) {
    if (NOT_A_FILE.has(errorCode(e) ?? "")) return null;
    throw e;
  } finally {
    cb.closeSync(fd);
  }
}

/**
 * readFileAt as readIntoSync opens: no stat, no following a final symlink, no waiting on a
 * FIFO. Positioned reads (pread) fail on a FIFO or socket (ESPIPE), as a directory's do (EISDIR).
 */
function readAtSync(cb: typeof NodeFsCb, path: string, into: Uint8Array, position: number): number | null {
  const fd = openToRead(cb, path);
  if (fd === null) return null;
  try {
    let filled = 0;
    while (filled < into.length) {
      const n = cb.readSync(fd, into, filled, into.length - filled, position + filled);
      if (n === 0) break;
      filled += n;
    }
    return filled;
  } catch (e) {
    if (NOT_A_FILE.has(errorCode(e) ?? "")) return null;
    throw e;
  } finally {
    cb.closeSync(fd);
  }
}

/** A descriptor for reading `path` without following a final symlink or waiting on a FIFO; null when it is not there to read. */
function openToRead(cb: typeof NodeFsCb, path: string): number | null {
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = cb.constants;
  try {
    return cb.openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (e) {
    if (NOT_A_FILE.has(errorCode(e) ?? "")) return null;
    throw e;
  }
}

/**
 * What open or read of a path that is not a readable file fails with (ELOOP, EMLINK: a symlink
 * under O_NOFOLLOW; ESPIPE: a positioned read of a FIFO or socket).
 */
const NOT_A_FILE = new Set(["ENOENT", "ENOTDIR", "ELOOP", "EMLINK", "EISDIR", "EAGAIN", "ENXIO", "ENODEV", "ESPIPE"]);

/** readdir and an lstat per entry as blocking calls: a directory in the cache costs microseconds per entry. */
function lstatDirSync(cb: typeof NodeFsCb, path: string): Array<{ name: string; info: FileInfo }> {
  const out: Array<{ name: string; info: FileInfo }> = [];
  const prefix = path.endsWith("/") ? path : `${path}/`;
  for (const name of cb.readdirSync(path)) {
    const s = cb.lstatSync(prefix + name, { throwIfNoEntry: false });
    if (s) out.push({ name, info: toFileInfo(s) });
  }
  return out;
}

/**
 * open wx, write, fchown, fchmod, futimes, close as blocking calls (see FilesPort.createFile).
 * An fstat first tells which of fchown and fchmod would change anything: a new file already has
 * the creating user's ids and (with no special bits asked) the mode less the umask, and each of
 * those calls costs the kernel an inode update where the fstat costs a read.
 */
function createFileSync(cb: typeof NodeFsCb, path: string, data: Uint8Array, meta: Parameters<NonNullable<FilesPort["createFile"]>>[2]): void {
  const fd = cb.openSync(path, "wx", meta.mode & 0o777);
  try {
    for (let done = 0; done < data.length;) done += cb.writeSync(fd, data, done, data.length - done);
    const made = cb.fstatSync(fd);
    // fchown would clear set-id bits, but the file has none yet (open was given mode & 0o777).
    if (meta.owner && (made.uid !== meta.owner.uid || made.gid !== meta.owner.gid)) cb.fchownSync(fd, meta.owner.uid, meta.owner.gid);
    if ((made.mode & 0o7777) !== (meta.mode & 0o7777)) cb.fchmodSync(fd, meta.mode & 0o7777);
    cb.futimesSync(fd, meta.atimeMs / 1000, meta.mtimeMs / 1000);
  } finally {
    cb.closeSync(fd);
  }
}
