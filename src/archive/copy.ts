/**
 * Full tree copy (moby `daemon/graphdriver/copy` DirCopy): what vfs does to start a layer from
 * its parent. Modes, owners, times, xattrs, symlinks, device nodes and hard links (by inode) are
 * kept; file bodies are streamed through a fixed buffer.
 */
import { WharfError, isWharfError } from "../errors.ts";
import type { FileInfo, FilesPort } from "../ports.ts";
import { joinPath } from "./path.ts";

export interface CopyOptions {
  /** Root: owners are copied and device nodes made; otherwise both are skipped (rootless). */
  privileged: boolean;
}

const COPY_BUFFER = 1 << 20;
const IGNORED_XATTR_ERRNOS = new Set(["ENOTSUP", "EOPNOTSUPP", "EPERM"]);

/** Copies the tree at `src` onto `dst` (an existing directory), `dst` itself taking `src`'s metadata. */
export async function copyTree(files: FilesPort, src: string, dst: string, options: CopyOptions): Promise<void> {
  const copier = new TreeCopier(files, options);
  const info = await files.lstat(src);
  if (!info || info.kind !== "dir") throw new WharfError("NOT_FOUND", `copy ${src}: not a directory`);
  await copier.copyDir(src, dst, info);
}

class TreeCopier {
  private readonly files: FilesPort;
  private readonly options: CopyOptions;
  private readonly buffer = new Uint8Array(COPY_BUFFER);
  /** `dev:ino` of multiply linked files already copied → their copy, to link instead of copying again. */
  private readonly linked = new Map<string, string>();

  constructor(files: FilesPort, options: CopyOptions) {
    this.files = files;
    this.options = options;
  }

  async copyDir(src: string, dst: string, info: FileInfo): Promise<void> {
    const names = (await this.files.readdir(src)).sort();
    for (const name of names) {
      const from = joinPath(src, name);
      const to = joinPath(dst, name);
      const child = await this.files.lstat(from);
      if (!child) continue; // vanished while copying
      if (child.kind === "dir") {
        if (!(await this.files.lstat(to))) await this.files.mkdir(to, { mode: 0o700 });
        await this.copyDir(from, to, child);
        continue;
      }
      if (!(await this.copyNode(from, to, child))) continue;
      await this.copyMetadata(from, to, child);
    }
    // Directory metadata last, so writing the children does not move its times.
    await this.copyMetadata(src, dst, info);
  }

  /** False when the node is skipped (a device without privilege, or a hard link already made). */
  private async copyNode(from: string, to: string, info: FileInfo): Promise<boolean> {
    switch (info.kind) {
      case "file": {
        const key = `${info.dev}:${info.ino}`;
        const first = info.nlink > 1 ? this.linked.get(key) : undefined;
        if (first !== undefined) {
          await this.files.link(first, to);
          return false;
        }
        await this.copyContent(from, to);
        if (info.nlink > 1) this.linked.set(key, to);
        return true;
      }
      case "symlink":
        await this.files.symlink(await this.files.readlink(from), to);
        return true;
      case "char":
      case "block":
        if (!this.options.privileged) return false;
        await this.files.mknod(to, info.kind, info.mode, major(info.rdev), minor(info.rdev));
        return true;
      case "fifo":
      case "socket": // as Docker's DirCopy: a socket cannot be copied, a FIFO stands in
        await this.files.mknod(to, "fifo", info.mode, 0, 0);
        return true;
      default:
        return false;
    }
  }

  private async copyContent(from: string, to: string): Promise<void> {
    const input = await this.files.open(from, "r");
    try {
      const output = await this.files.open(to, "wx", 0o600);
      try {
        for (;;) {
          const n = await input.read(this.buffer);
          if (n === 0) break;
          await output.write(this.buffer.subarray(0, n));
        }
      } finally {
        await output.close();
      }
    } finally {
      await input.close();
    }
  }

  /** Owner, xattrs, mode, times: chown first, as it clears set-id bits. */
  private async copyMetadata(from: string, to: string, info: FileInfo): Promise<void> {
    if (this.options.privileged) await this.files.lchown(to, info.uid, info.gid);
    for (const name of await this.files.listxattr(from)) {
      const value = await this.files.getxattr(from, name);
      if (value === null) continue;
      try {
        await this.files.setxattr(to, name, value);
      } catch (e) {
        if (!(isWharfError(e) && e.errno !== undefined && IGNORED_XATTR_ERRNOS.has(e.errno))) throw e;
      }
    }
    if (info.kind !== "symlink") await this.files.chmod(to, info.mode);
    await this.files.lutimes(to, info.mtimeMs, info.mtimeMs);
  }
}

/** Linux dev_t split as glibc's major()/minor() do. */
export function major(rdev: number): number {
  const dev = BigInt(rdev);
  return Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n));
}

export function minor(rdev: number): number {
  const dev = BigInt(rdev);
  return Number((dev & 0xffn) | ((dev >> 12n) & 0xffffff00n));
}
