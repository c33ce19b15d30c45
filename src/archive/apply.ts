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
import type { FileInfo, FilesPort } from "../ports.ts";
import type { TarEntry } from "../tar/reader.ts";
import type { TarHeader } from "../tar/header.ts";
import type { LayerApplier } from "../graphdriver/driver.ts";
import {
  WHITEOUT_META_PREFIX, WHITEOUT_OPAQUE_DIR, WHITEOUT_PREFIX, basename, checkSymlinkTarget, dirname, entryPath,
  hardlinkTarget, joinPath, unsafeEntry, whiteoutTarget,
} from "./path.ts";

/** `overlay`: whiteouts become 0:0 char devices and opaque xattrs; `delete`: they delete (vfs). */
export type WhiteoutMode = "overlay" | "delete";

export interface ApplyOptions {
  whiteouts: WhiteoutMode;
  /** Running as root: ownership is applied and device nodes are made; otherwise both are skipped (rootless). */
  privileged: boolean;
  /** xattr marking an opaque directory in `overlay` mode. */
  opaqueXattr?: string;
}

export const OVERLAY_OPAQUE_XATTR = "trusted.overlay.opaque";

const IGNORED_XATTR_ERRNOS = new Set(["ENOTSUP", "EOPNOTSUPP", "EPERM"]);

interface DirTimes {
  path: string;
  atimeMs: number;
  mtimeMs: number;
}

/**
 * Applies entries to `root` (which must exist). `finish()` sets directory times (after every
 * entry, so later entries do not disturb them) and returns the sum of the entries' header
 * sizes: the size naive drivers record for a layer.
 */
export class LayerExtractor implements LayerApplier {
  private readonly files: FilesPort;
  private readonly root: string;
  private readonly options: ApplyOptions;
  private size = 0;
  private readonly dirs: DirTimes[] = [];
  /** Layer-relative paths this layer wrote: an opaque marker keeps only these (naive mode). */
  private readonly unpacked = new Set<string>();
  /** Parent directories already checked to be real directories (not symlinks). */
  private readonly checkedDirs = new Set<string>(["."]);

  constructor(files: FilesPort, root: string, options: ApplyOptions) {
    this.files = files;
    this.root = root;
    this.options = options;
  }

  async apply(entry: TarEntry): Promise<void> {
    const h = entry.header;
    this.size += h.size;
    if (h.typeflag === "g" || h.typeflag === "x") return; // PAX headers the reader did not merge: metadata only
    const rel = entryPath(h.name);
    // AUFS metadata (hard-link store, `.wh..wh..opq` at the root excepted) is never extracted.
    if (rel.startsWith(WHITEOUT_META_PREFIX) && rel !== WHITEOUT_OPAQUE_DIR) return;
    if (rel !== ".") await this.checkParents(h.name, dirname(rel), true);
    if (basename(rel).startsWith(WHITEOUT_PREFIX)) return this.applyWhiteout(h, rel);

    const path = joinPath(this.root, rel);
    const existing = await this.files.lstat(path);
    if (existing) {
      if (existing.kind === "dir" && rel === "." && this.options.whiteouts === "overlay") return;
      if (!(existing.kind === "dir" && h.typeflag === "5")) await this.removePath(rel, existing);
    }
    const created = await this.create(entry, rel, path);
    if (!created) return;
    this.unpacked.add(rel);
    if (h.typeflag === "5") this.checkedDirs.add(rel);
    await this.setMetadata(h, path);
  }

  async finish(): Promise<number> {
    for (const dir of this.dirs) await this.files.lutimes(dir.path, dir.atimeMs, dir.mtimeMs);
    this.dirs.length = 0;
    return this.size;
  }

  /** Creates the entry's file; false when it is skipped (a device node without privilege). */
  private async create(entry: TarEntry, rel: string, path: string): Promise<boolean> {
    const h = entry.header;
    switch (h.typeflag) {
      case "5": {
        const info = await this.files.lstat(path);
        if (!info) await this.files.mkdir(path, { mode: h.mode & 0o777 });
        return true;
      }
      case "0":
      case "7": {
        const handle = await this.files.open(path, "wx", h.mode & 0o777);
        try {
          for await (const chunk of entry.chunks()) await handle.write(chunk);
        } finally {
          await handle.close();
        }
        return true;
      }
      case "1": {
        const target = hardlinkTarget(h.name, h.linkname);
        await this.checkParents(h.name, dirname(target), false);
        const targetInfo = await this.files.lstat(joinPath(this.root, target));
        if (!targetInfo) throw unsafeEntry(h.name, `hard link target ${JSON.stringify(h.linkname)} does not exist in the layer`);
        if (targetInfo.kind === "dir") throw unsafeEntry(h.name, `hard link target ${JSON.stringify(h.linkname)} is a directory`);
        await this.files.link(joinPath(this.root, target), path);
        return true;
      }
      case "2":
        checkSymlinkTarget(h.name, rel, h.linkname);
        await this.files.symlink(h.linkname, path);
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
    if (this.options.privileged) await this.files.lchown(path, h.uid, h.gid);
    for (const [name, value] of h.xattrs) {
      try {
        await this.files.setxattr(path, name, value);
      } catch (e) {
        if (!(isWharfError(e) && e.errno !== undefined && IGNORED_XATTR_ERRNOS.has(e.errno))) throw e;
      }
    }
    const isSymlink = h.typeflag === "2" || (h.typeflag === "1" && (await this.files.lstat(path))?.kind === "symlink");
    if (!isSymlink) await this.files.chmod(path, h.mode & 0o7777);
    const mtimeMs = h.mtime.seconds * 1000 + Math.floor(h.mtime.nanoseconds / 1e6);
    const atimeRaw = h.atime ? h.atime.seconds * 1000 + Math.floor(h.atime.nanoseconds / 1e6) : mtimeMs;
    const atimeMs = Math.max(atimeRaw, mtimeMs); // Docker: access time is never before modification
    if (!(h.typeflag === "1" && isSymlink)) await this.files.lutimes(path, atimeMs, mtimeMs);
    if (h.typeflag === "5") this.dirs.push({ path, atimeMs, mtimeMs });
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
      if (h.uid !== 0 || h.gid !== 0) await this.files.lchown(targetPath, h.uid, h.gid);
      return;
    }
    const existing = await this.files.lstat(targetPath);
    if (existing) await this.removePath(target, existing);
  }

  /** Naive opaque directory: everything under `dir` that this layer did not write goes. */
  private async removeNotUnpacked(dir: string): Promise<void> {
    const abs = joinPath(this.root, dir);
    for (const name of await this.files.readdir(abs)) {
      const rel = dir === "." ? name : `${dir}/${name}`;
      const info = await this.files.lstat(joinPath(this.root, rel));
      if (!info) continue;
      if (!this.unpacked.has(rel)) await this.removePath(rel, info);
      else if (info.kind === "dir") await this.removeNotUnpacked(rel);
    }
  }

  private async removePath(rel: string, info: FileInfo): Promise<void> {
    await this.files.remove(joinPath(this.root, rel), { recursive: info.kind === "dir" });
    if (info.kind !== "dir") return;
    for (const known of this.checkedDirs) {
      if (known === rel || known.startsWith(`${rel}/`)) this.checkedDirs.delete(known);
    }
  }

  /**
   * Every component of `dir` must be a real directory inside the layer, never a symlink.
   * Missing ones are created 0755 when `create` (Docker's MkdirAll of an entry's parent).
   */
  private async checkParents(name: string, dir: string, create: boolean): Promise<void> {
    if (this.checkedDirs.has(dir)) return;
    let rel = "";
    for (const part of dir.split("/")) {
      rel = rel === "" ? part : `${rel}/${part}`;
      if (this.checkedDirs.has(rel)) continue;
      const path = joinPath(this.root, rel);
      const info = await this.files.lstat(path);
      if (!info) {
        if (!create) throw unsafeEntry(name, `${JSON.stringify(rel)} does not exist in the layer`);
        await this.files.mkdir(path, { mode: 0o755 });
        await this.files.chmod(path, 0o755);
      } else if (info.kind === "symlink") {
        throw unsafeEntry(name, `${JSON.stringify(rel)} is a symlink; writing through it could leave the layer`);
      } else if (info.kind !== "dir") {
        throw unsafeEntry(name, `${JSON.stringify(rel)} is not a directory`);
      }
      this.checkedDirs.add(rel);
    }
  }
}
