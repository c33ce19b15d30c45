/**
 * Layer extraction (moby `pkg/archive` Unpack / UnpackLayer): applies tar entries, in order, to
 * a layer directory. Whiteouts become overlay markers (overlay2) or deletions (naive drivers).
 *
 * Safety: nothing is written outside the layer directory. Entry names that are absolute or climb
 * out with `..` are refused, as are writes through a symlink (any parent component that is a
 * symlink), hard links to paths outside the layer and whiteouts naming `.`/`..`. Docker relies on
 * a chroot for the symlink case; wharf has none, so it refuses instead. Nothing follows a symlink
 * when creating: a path that exists is removed first and then created exclusively.
 */
import { WharfError, isWharfError } from "../errors.ts";
import type { BlockingFileOps, FileInfo, FilesPort } from "../ports.ts";
import type { TarEntry } from "../tar/reader.ts";
import type { TarHeader } from "../tar/header.ts";
import type { LayerApplier } from "../graphdriver/driver.ts";
import {
  WHITEOUT_META_PREFIX, WHITEOUT_OPAQUE_DIR, WHITEOUT_PREFIX, basename, checkSymlinkTarget, dirname, entryPath,
  hardlinkTarget, joinPath, unsafeEntry, whiteoutTarget,
} from "./path.ts";
import { bodyOf, entryTimes } from "./entry-data.ts";
import { CheckedDirs } from "./checked-dirs.ts";
import type { WorkerClient } from "../worker/client.ts";
import { WorkerFileCreator, type CreateMeta } from "../worker/file-creator.ts";

/** `overlay`: whiteouts become 0:0 char devices and opaque xattrs; `delete`: they delete (vfs). */
export type WhiteoutMode = "overlay" | "delete";

export interface ApplyOptions {
  whiteouts: WhiteoutMode;
  /** Running as root: ownership is applied and device nodes are made; otherwise both are skipped (rootless). */
  privileged: boolean;
  /** xattr marking an opaque directory in `overlay` mode. */
  opaqueXattr?: string;
  /** The worker to create small files on, when one is ready (asked per file: it may start late). */
  worker?: () => WorkerClient | undefined;
}

export const OVERLAY_OPAQUE_XATTR = "trusted.overlay.opaque";

const UTF8 = new TextEncoder();
const IGNORED_XATTR_ERRNOS = new Set(["ENOTSUP", "EOPNOTSUPP", "EPERM"]);

/**
 * Regular files up to this size are read into memory and written while later entries are read:
 * a layer of many small files costs a few file-system round trips per file, and done one at a
 * time those wait on each other. At most MAX_IN_FLIGHT such writes run at once.
 */
const BUFFERED_FILE_MAX = 256 * 1024;
const MAX_IN_FLIGHT = 16;
/** Small files created inline before the worker is asked for (see WorkerFileCreator). */
const INLINE_CREATES = 64;

type DirTimes = { path: string; atimeMs: number; mtimeMs: number };

/**
 * Applies entries to `root` (which must exist). `finish()` sets directory times (after every
 * entry, so later entries do not disturb them) and returns the sum of the entries' header
 * sizes: the size naive drivers record for a layer.
 */
export class LayerExtractor implements LayerApplier {
  private readonly files: FilesPort;
  /** Per-entry metadata calls: blocking where the runtime offers them (FilesPort.blocking). */
  private readonly meta: BlockingFileOps;
  private readonly root: string;
  private readonly options: ApplyOptions;
  private size = 0;
  private readonly dirs: DirTimes[] = [];
  /** Layer-relative paths this layer wrote: an opaque marker keeps only these (naive mode only). */
  private readonly unpacked: Set<string> | undefined;
  /** Bytes of the regular files and symlinks made (hard links add none), while nothing was removed. */
  private madeBytes = 0;
  private removedAny = false;
  /** Parent directories already checked to be real directories (not symlinks). */
  private readonly checkedDirs: CheckedDirs;
  /** Buffered file writes still running, by layer-relative path; the first failure is kept. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** How many of those are buffered writes (the rest are files created on the worker). */
  private bufferedWrites = 0;
  private creator: WorkerFileCreator | undefined;
  private inlineCreates = 0;
  private failure: { error: unknown } | undefined;

  constructor(files: FilesPort, root: string, options: ApplyOptions) {
    this.files = files;
    this.meta = files.blocking ?? files;
    this.root = root;
    this.checkedDirs = new CheckedDirs(root, this.meta);
    this.options = options;
    this.unpacked = options.whiteouts === "delete" ? new Set() : undefined;
  }

  /**
   * moby directory.Size of `root` after the apply, when `root` was empty before it: every regular
   * file was made once and symlinks hold their target, so no walk is needed. Undefined once the
   * layer removed or replaced anything (what is left then is only known by walking).
   */
  madeSize(): number | undefined {
    return this.removedAny ? undefined : this.madeBytes;
  }

  async apply(entry: TarEntry): Promise<void> {
    const h = entry.header;
    this.size += h.size;
    if (h.typeflag === "g" || h.typeflag === "x") return; // PAX headers the reader did not merge: metadata only
    const rel = entryPath(h.name);
    // AUFS metadata (hard-link store, `.wh..wh..opq` at the root excepted) is never extracted.
    if (rel.startsWith(WHITEOUT_META_PREFIX) && rel !== WHITEOUT_OPAQUE_DIR) return;
    const whiteout = basename(rel).startsWith(WHITEOUT_PREFIX);
    const regular = h.typeflag === "0" || h.typeflag === "7";
    // Files and directories that touch no running write go on while those finish; anything else
    // (links, whiteouts, devices, a path being written) waits for them, so order is kept.
    const parent = dirname(rel);
    const independent = (regular || h.typeflag === "5") && rel !== "." && !whiteout && !this.touchesInFlight(rel, parent) && (!regular || !this.checkedDirs.has(rel));
    if (!independent) await this.settle();
    this.rethrow();
    if (rel !== ".") await this.checkedDirs.check(h.name, parent, true);
    if (whiteout) return this.applyWhiteout(h, rel);

    const path = joinPath(this.root, rel);
    if (regular && rel !== "." && h.size <= BUFFERED_FILE_MAX) {
      if (this.files.createFile && h.xattrs.size === 0) return this.createSmall(entry, rel, path);
      return this.startBufferedWrite(entry, rel, path);
    }
    // A directory is made straight away: only when something is there already does it look.
    if (h.typeflag === "5" && rel !== "." && (await this.madeDir(path, h.mode & 0o777))) {
      this.unpacked?.add(rel);
      this.checkedDirs.add(rel);
      return this.setMetadata(h, path);
    }
    const existing = await this.meta.lstat(path);
    if (existing) {
      if (existing.kind === "dir" && rel === "." && this.options.whiteouts === "overlay") return;
      if (!(existing.kind === "dir" && h.typeflag === "5")) await this.removePath(rel, existing);
    }
    const created = await this.create(entry, rel, path, existing?.kind === "dir" && h.typeflag === "5");
    if (!created) return;
    this.unpacked?.add(rel);
    if (h.typeflag === "5") this.checkedDirs.add(rel);
    await this.setMetadata(h, path);
  }

  async finish(): Promise<number> {
    await this.settle();
    for (const dir of this.dirs) await this.meta.lutimes(dir.path, dir.atimeMs, dir.mtimeMs);
    this.dirs.length = 0;
    return this.size;
  }

  /** Waits for every buffered write and worker creation; throws the first failure among them. */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0 || (this.creator?.pending.size ?? 0) > 0) {
      await Promise.all([...this.inFlight.values(), this.creator?.drain()]);
    }
    this.rethrow();
  }

  /** A background task for `rel`: its failure is kept, and it leaves the map when done. */
  private track(rel: string, task: Promise<void>): void {
    this.inFlight.set(rel, task.catch((error: unknown) => {
      this.failure ??= { error };
    }).finally(() => this.inFlight.delete(rel)));
  }

  private rethrow(): void {
    const failure = this.failure ?? this.creator?.failure;
    if (failure) throw failure.error;
  }

  /**
   * Is `rel`, or a path above it, being written (here or on the worker)? Only regular files are,
   * and a checked directory has none above it (replacing one unchecks all below): only `rel` then.
   */
  private touchesInFlight(rel: string, parent: string): boolean {
    if (this.inFlight.size === 0 && !this.creator?.pending.size) return false;
    if (this.isBusy(rel)) return true;
    if (this.checkedDirs.has(parent)) return false;
    for (let i = rel.indexOf("/"); i > 0; i = rel.indexOf("/", i + 1)) if (this.isBusy(rel.slice(0, i))) return true;
    return false;
  }

  private isBusy(rel: string): boolean {
    return this.inFlight.has(rel) || this.creator?.pending.has(rel) === true;
  }

  /** Reads a small file's body, then writes it (and its metadata) in the background. */
  private async startBufferedWrite(entry: TarEntry, rel: string, path: string): Promise<void> {
    const body = (entry.takeBuffered() ?? (await bodyOf(entry))).slice(); // kept past the reader's next pull
    this.creator?.flush();
    while (this.bufferedWrites >= MAX_IN_FLIGHT) await Promise.race(this.inFlight.values());
    this.unpacked?.add(rel);
    this.madeBytes += body.length;
    this.bufferedWrites++;
    this.track(rel, this.writeBuffered(entry.header, rel, path, body).finally(() => this.bufferedWrites--));
  }

  /** Creates the file exclusively; whatever is in the way (rare: a duplicate or a parent layer's file) is removed first. */
  private async writeBuffered(h: TarHeader, rel: string, path: string, body: Uint8Array): Promise<void> {
    let handle;
    try {
      handle = await this.files.open(path, "wx", h.mode & 0o777);
    } catch (e) {
      if (!(isWharfError(e) && e.errno === "EEXIST")) throw e;
      const existing = await this.meta.lstat(path);
      if (existing) await this.removePath(rel, existing);
      handle = await this.files.open(path, "wx", h.mode & 0o777);
    }
    try {
      if (body.length > 0) await handle.write(body);
    } finally {
      await handle.close();
    }
    await this.setMetadata(h, path);
  }

  /** A small file (no xattrs) created with its metadata in one port call; what is in the way goes first. */
  private async createSmall(entry: TarEntry, rel: string, path: string): Promise<void> {
    const h = entry.header;
    // Window views are fine: the file is written (or copied into a batch) before the reader moves on.
    const body = entry.takeBuffered() ?? (await bodyOf(entry));
    const { atimeMs, mtimeMs } = entryTimes(h);
    const meta = { mode: h.mode, owner: this.options.privileged ? { uid: h.uid, gid: h.gid } : undefined, atimeMs, mtimeMs };
    this.unpacked?.add(rel);
    this.madeBytes += body.length;
    // Small layers never start the worker: only past the first files does it pay.
    const worker = this.creator ?? (++this.inlineCreates > INLINE_CREATES ? this.startCreator() : undefined);
    if (worker) {
      const room = worker.throttle();
      if (room) await room;
      // Created on the worker (the body is copied at once); what is in the way is cleared here.
      worker.create(rel, path, body, meta);
      return;
    }
    try {
      await this.files.createFile!(path, body, meta);
    } catch (e) {
      if (!(isWharfError(e) && e.errno === "EEXIST")) throw e;
      await this.clearAndCreate(rel, path, body, meta);
    }
  }

  /** Removes what is in the way of a small file, then creates it. */
  private async clearAndCreate(rel: string, path: string, body: Uint8Array, meta: CreateMeta): Promise<void> {
    const existing = await this.meta.lstat(path);
    if (existing) await this.removePath(rel, existing);
    await this.files.createFile!(path, body, meta);
  }

  private startCreator(): WorkerFileCreator | undefined {
    const client = this.options.worker?.();
    if (client) this.creator = new WorkerFileCreator(client, (rel, path, body, meta) => this.clearAndCreate(rel, path, body, meta));
    return this.creator;
  }

  /** Creates the entry's file; false when it is skipped (a device node without privilege). */
  private async create(entry: TarEntry, rel: string, path: string, dirExists: boolean): Promise<boolean> {
    const h = entry.header;
    switch (h.typeflag) {
      case "5": {
        if (!dirExists) await this.meta.mkdir(path, { mode: h.mode & 0o777 });
        return true;
      }
      case "0":
      case "7": {
        // Opened (and closed) in blocking calls where offered: layers fill side by side, and an
        // I/O thread's round trip then waits behind the event loop's other work.
        const handle = await this.meta.open(path, "wx", h.mode & 0o777);
        try {
          for await (const chunk of entry.chunks()) {
            // Blocking writes into the page cache where the runtime has them (as writeStreamTo):
            // a hop to an I/O thread per chunk left a large file waiting on every write.
            if (handle.writeSync) handle.writeSync(chunk);
            else await handle.write(chunk);
            this.madeBytes += chunk.length;
          }
        } finally {
          await handle.close();
        }
        return true;
      }
      case "1": {
        const target = hardlinkTarget(h.name, h.linkname);
        await this.checkedDirs.check(h.name, dirname(target), false);
        const targetInfo = await this.meta.lstat(joinPath(this.root, target));
        if (!targetInfo) throw unsafeEntry(h.name, `hard link target ${JSON.stringify(h.linkname)} does not exist in the layer`);
        if (targetInfo.kind === "dir") throw unsafeEntry(h.name, `hard link target ${JSON.stringify(h.linkname)} is a directory`);
        await this.meta.link(joinPath(this.root, target), path);
        return true;
      }
      case "2":
        checkSymlinkTarget(h.name, rel, h.linkname);
        await this.meta.symlink(h.linkname, path);
        this.madeBytes += UTF8.encode(h.linkname).length; // a symlink's size is its target's byte length
        return true;
      case "3":
      case "4":
        if (!this.options.privileged) return false;
        await this.files.mknod(path, h.typeflag === "3" ? "char" : "block", h.mode & 0o7777, h.devmajor, h.devminor);
        return true;
      case "6":
        await this.files.mknod(path, "fifo", h.mode & 0o7777, 0, 0);
        return true;
      default:
        throw new WharfError("TAR_HEADER", `layer entry ${JSON.stringify(h.name)}: unhandled tar entry type ${JSON.stringify(h.typeflag)}`);
    }
  }

  /** Owner, xattrs, mode and times, in Docker's order (chown before chmod: chown clears set-id bits). */
  private async setMetadata(h: TarHeader, path: string): Promise<void> {
    if (this.options.privileged) await this.meta.lchown(path, h.uid, h.gid);
    for (const [name, value] of h.xattrs) {
      try {
        await this.files.setxattr(path, name, value);
      } catch (e) {
        if (!(isWharfError(e) && e.errno !== undefined && IGNORED_XATTR_ERRNOS.has(e.errno))) throw e;
      }
    }
    const isSymlink = h.typeflag === "2" || (h.typeflag === "1" && (await this.meta.lstat(path))?.kind === "symlink");
    if (!isSymlink) await this.meta.chmod(path, h.mode & 0o7777);
    const { atimeMs, mtimeMs } = entryTimes(h);
    // A directory's times are set by finish(), once later entries no longer change them.
    if (h.typeflag === "5") this.dirs.push({ path, atimeMs, mtimeMs });
    else if (!(h.typeflag === "1" && isSymlink)) await this.meta.lutimes(path, atimeMs, mtimeMs);
  }

  /** mkdir; false when something is in the way (EEXIST). */
  private async madeDir(path: string, mode: number): Promise<boolean> {
    try {
      await this.meta.mkdir(path, { mode });
      return true;
    } catch (e) {
      if (isWharfError(e) && e.errno === "EEXIST") return false;
      throw e;
    }
  }

  private async applyWhiteout(h: TarHeader, rel: string): Promise<void> {
    const dir = dirname(rel);
    if (basename(rel) === WHITEOUT_OPAQUE_DIR) {
      if (this.options.whiteouts === "overlay") {
        const name = this.options.opaqueXattr ?? OVERLAY_OPAQUE_XATTR;
        await this.files.setxattr(joinPath(this.root, dir), name, new Uint8Array([0x79]));
      } else {
        await this.removeNotUnpacked(dir);
      }
      return;
    }
    const target = whiteoutTarget(h.name, rel);
    const targetPath = joinPath(this.root, target);
    if (this.options.whiteouts === "overlay") {
      await this.files.mknod(targetPath, "char", 0, 0, 0);
      if (h.uid !== 0 || h.gid !== 0) await this.meta.lchown(targetPath, h.uid, h.gid);
      return;
    }
    const existing = await this.meta.lstat(targetPath);
    if (existing) await this.removePath(target, existing);
  }

  /** Naive opaque directory: everything under `dir` that this layer did not write goes. */
  private async removeNotUnpacked(dir: string): Promise<void> {
    const abs = joinPath(this.root, dir);
    for (const name of await this.files.readdir(abs)) {
      const rel = dir === "." ? name : `${dir}/${name}`;
      const info = await this.meta.lstat(joinPath(this.root, rel));
      if (!info) continue;
      if (!this.unpacked!.has(rel)) await this.removePath(rel, info);
      else if (info.kind === "dir") await this.removeNotUnpacked(rel);
    }
  }

  private async removePath(rel: string, info: FileInfo): Promise<void> {
    this.removedAny = true;
    await this.files.remove(joinPath(this.root, rel), { recursive: info.kind === "dir" });
    if (info.kind !== "dir") return;
    this.checkedDirs.forget(rel);
  }
}
