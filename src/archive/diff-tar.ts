/**
 * Layer tars from a directory, with Docker's header conventions (moby `pkg/archive` tarAppender):
 * PAX format, whole-second mtimes, file type bits in the mode, user and group names looked up,
 * `security.capability` carried as an xattr, and the second path of a hard-linked inode written
 * as a link to the first. Bodies are streamed from disk as the tar is pulled.
 */
import type { FileInfo, FilesPort } from "../ports.ts";
import type { Change } from "../graphdriver/driver.ts";
import type { TarEntry } from "../tar/writer.ts";
import { TypeFlag, type TarEntryHeader } from "../tar/writer.ts";
import { fileReadable } from "../io/file-stream.ts";
import { WHITEOUT_OPAQUE_DIR, WHITEOUT_PREFIX, basename, dirname, joinPath } from "./path.ts";
import { isOverlayDeletion } from "./changes.ts";
import { major, minor } from "./copy.ts";
import { UserNames } from "./user-names.ts";
import { listDir } from "../fs/list-dir.ts";

/** Go's c_IS* file type bits that Docker's FileInfoHeader puts back into the mode. */
const TYPE_BITS: Partial<Record<FileInfo["kind"], number>> = {
  file: 0o100000, dir: 0o40000, symlink: 0o120000, char: 0o20000, block: 0o60000, fifo: 0o10000,
};
const TYPE_FLAGS: Partial<Record<FileInfo["kind"], string>> = {
  file: TypeFlag.reg, dir: TypeFlag.dir, symlink: TypeFlag.symlink, char: TypeFlag.char, block: TypeFlag.block, fifo: TypeFlag.fifo,
};

/** Writes tar entries for files on disk, remembering inodes to emit hard links. */
const CAPABILITY_XATTR = "security.capability";
/** Bodies up to this size are read whole, in one port call where the port offers `readSmallFile`. */
const SMALL_BODY = 64 << 10;

export class TarAppender {
  private readonly seen = new Map<string, string>();
  private readonly names: UserNames;
  /** `security.capability` of every file under the tree, read in one go where the port can. */
  private capabilities: Promise<Map<string, Uint8Array>> | undefined;

  /** `root`: the tree the entries come from, so a port with `xattrTree` reads capabilities once. */
  constructor(private readonly files: FilesPort, private readonly root?: string) {
    this.names = new UserNames(files);
  }

  private capability(abs: string): Promise<Uint8Array | null> {
    if (this.root !== undefined && this.files.xattrTree) {
      this.capabilities ??= this.files.xattrTree(this.root, CAPABILITY_XATTR);
      return this.capabilities.then((all) => all.get(abs) ?? null);
    }
    return this.files.getxattr(abs, CAPABILITY_XATTR).catch(() => null);
  }

  /** The header Docker writes for `abs` under the tar name `name` (no trailing slash); undefined for sockets. */
  async header(abs: string, name: string, info: FileInfo): Promise<TarEntryHeader | undefined> {
    const typeflag = TYPE_FLAGS[info.kind];
    if (typeflag === undefined) return undefined; // Go's FileInfoHeader refuses sockets; Docker skips them
    const header: TarEntryHeader = {
      name: info.kind === "dir" ? `${name}/` : name,
      typeflag,
      mode: info.mode | (TYPE_BITS[info.kind] ?? 0),
      uid: info.uid,
      gid: info.gid,
      size: info.kind === "file" ? info.size : 0,
      mtime: Math.floor(info.mtimeMs / 1000),
      uname: await this.names.user(info.uid),
      gname: await this.names.group(info.gid),
    };
    if (info.kind === "symlink") header.linkname = await this.files.readlink(abs);
    if (info.kind === "char" || info.kind === "block") {
      header.devmajor = major(info.rdev);
      header.devminor = minor(info.rdev);
    }
    const capability = await this.capability(abs);
    if (capability !== null) header.xattrs = { [CAPABILITY_XATTR]: capability };
    if (info.kind !== "dir" && info.nlink > 1) {
      const key = `${info.dev}:${info.ino}`;
      const first = this.seen.get(key);
      if (first !== undefined) {
        header.typeflag = TypeFlag.link;
        header.linkname = first;
        header.size = 0;
      } else {
        this.seen.set(key, name);
      }
    }
    return header;
  }

  /** The header plus, for a regular file with content, its body read from disk when the tar gets there. */
  entry(abs: string, header: TarEntryHeader): TarEntry {
    if (header.typeflag !== TypeFlag.reg || header.size === 0) return { header };
    const files = this.files;
    const open = async () => fileReadable(await files.open(abs, "r"), undefined, header.size);
    // A small file in one call where the port can; one that grew or went is left to `open`.
    if (files.readSmallFile && header.size <= SMALL_BODY) return { header, body: async () => (await files.readSmallFile!(abs, SMALL_BODY)) ?? open() };
    return { header, body: open };
  }
}

/**
 * moby ExportChanges: the changes, sorted by path, as a layer tar of `dir`: deletions as `.wh.`
 * entries (mode 0, stamped `nowSeconds` as Docker stamps them with the current time), the rest
 * read from `dir`.
 */
export async function* exportChanges(files: FilesPort, dir: string, changes: readonly Change[], nowSeconds: number): AsyncGenerator<TarEntry> {
  const appender = new TarAppender(files, dir);
  const sorted = [...changes].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const change of sorted) {
    const rel = change.path.slice(1);
    if (change.kind === "D") {
      const parent = dirname(rel);
      const name = (parent === "." ? "" : `${parent}/`) + WHITEOUT_PREFIX + basename(rel);
      yield { header: { name, typeflag: TypeFlag.reg, mode: 0, uid: 0, gid: 0, size: 0, mtime: nowSeconds } };
      continue;
    }
    const abs = dir + change.path;
    const info = await files.lstat(abs);
    if (!info) continue; // gone since the changes were taken; Docker logs and goes on
    const header = await appender.header(abs, rel, info);
    if (header) yield appender.entry(abs, header);
  }
}

/**
 * moby TarWithOptions with the overlay whiteout converter: `diffDir` walked in sorted order;
 * 0:0 char devices become `.wh.<name>` (regular, 0600, empty) and an opaque directory is
 * followed by a `<dir>/.wh..wh..opq` entry.
 */
export async function* overlayDiffEntries(files: FilesPort, diffDir: string, opaqueXattr: string): AsyncGenerator<TarEntry> {
  const appender = new TarAppender(files, diffDir);
  // Where each xattr read is costly (a subprocess), the opaque marks of the whole tree at once.
  let opaqueDirs: Promise<Map<string, Uint8Array> | undefined> | undefined;
  const readOpaque = async (abs: string): Promise<Uint8Array | null> => {
    opaqueDirs ??= files.xattrTree?.(diffDir, opaqueXattr).catch(() => undefined) ?? Promise.resolve(undefined);
    const all = await opaqueDirs;
    return all ? (all.get(abs) ?? null) : files.getxattr(abs, opaqueXattr).catch(() => null);
  };
  async function* walk(rel: string): AsyncGenerator<TarEntry> {
    for (const { name, info } of await listDir(files, joinPath(diffDir, rel))) {
      const childRel = rel === "" ? name : `${rel}/${name}`;
      const abs = joinPath(diffDir, childRel);
      const header = await appender.header(abs, childRel, info);
      if (header) {
        const deletion = await isOverlayDeletion(files, abs, info, opaqueXattr, readOpaque);
        if (deletion && info.kind === "char") {
          const parent = dirname(childRel);
          header.name = (parent === "." ? "" : `${parent}/`) + WHITEOUT_PREFIX + name;
          header.mode = 0o600;
          header.typeflag = TypeFlag.reg;
          header.size = 0;
          yield { header };
        } else {
          yield appender.entry(abs, header);
          if (deletion) {
            yield {
              header: {
                name: `${childRel}/${WHITEOUT_OPAQUE_DIR}`, typeflag: TypeFlag.reg, mode: header.mode & 0o777, size: 0,
                uid: header.uid, gid: header.gid, uname: header.uname ?? "", gname: header.gname ?? "", mtime: 0,
              },
            };
          }
        }
      }
      if (info.kind === "dir") yield* walk(childRel);
    }
  }
  yield* walk("");
}
