/**
 * Random access to what `docker load` reads: a plain tar indexed once (each member's offset and
 * size, from a single TarReader pass that seeks over bodies), or a directory (an OCI image
 * layout). Members are then read by position straight from the archive file (or any other
 * random-access bytes, e.g. a browser Blob), so a layer is streamed without a temporary copy. Paths resolve the way moby's `safePath` does
 * (symlinks followed, but never out of the archive); a name that climbs out is an error.
 */
import type { FileHandle, FilesPort } from "../ports.ts";
import { WharfError } from "../errors.ts";
import { TarReader } from "../tar/reader.ts";
import type { ByteSource } from "../io/source.ts";

/** A member's bytes as a source that knows its length; close it when done. */
export interface MemberSource extends ByteSource {
  readonly size: number;
  close(): Promise<void>;
}

export interface ArchiveSource {
  /** What the archive is, for messages. */
  readonly label: string;
  /** Whether `path` names a regular file (after links), without failing. */
  exists(path: string): Promise<boolean>;
  /** Opens a regular file member; `what` names it in errors ("layer 2", "config"). */
  open(path: string, what: string): Promise<MemberSource>;
  close(): Promise<void>;
}

const MAX_LINK_HOPS = 255;

type Node =
  | { kind: "file"; size: number; at: number }
  | { kind: "dir" }
  | { kind: "symlink"; target: string }
  | { kind: "hardlink"; target: string };

export function archiveError(message: string): WharfError {
  return new WharfError("INVALID_ARCHIVE", message);
}

/** Cleans a member name as Go's filepath.Clean does, relative to the archive root; null when it climbs out. */
export function cleanMemberPath(name: string): string | null {
  const parts: string[] = [];
  for (const part of name.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) return null;
      parts.pop();
    } else {
      parts.push(part);
    }
  }
  return parts.join("/");
}

/**
 * moby `FollowSymlinkInScope` over archive members: `..` and absolute link targets stay at the
 * archive root. Returns the final path and its node (null when absent).
 */
async function resolveInScope(path: string, lookup: (p: string) => Promise<Node | null>): Promise<{ path: string; node: Node | null }> {
  let pending = path.split("/").filter((p) => p !== "" && p !== ".");
  const done: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === "..") {
      done.pop();
      continue;
    }
    const candidate = [...done, part].join("/");
    const node = await lookup(candidate);
    if (node?.kind === "symlink") {
      if (++hops > MAX_LINK_HOPS) throw archiveError(`too many links resolving ${JSON.stringify(path)} in the archive`);
      const target = node.target.split("/").filter((p) => p !== "" && p !== ".");
      if (node.target.startsWith("/")) done.length = 0;
      pending = [...target, ...pending];
      continue;
    }
    done.push(part);
  }
  const finalPath = done.join("/");
  let node = finalPath === "" ? ({ kind: "dir" } as Node) : await lookup(finalPath);
  if (node?.kind === "hardlink") {
    if (++hops > MAX_LINK_HOPS) throw archiveError(`too many links resolving ${JSON.stringify(path)} in the archive`);
    return resolveInScope(node.target, lookup);
  }
  return { path: finalPath, node };
}

/** moby `safePath`: a path from manifest.json may not climb out of the archive. */
function checkReference(path: string): void {
  const joined = cleanMemberPath(path.replace(/^\/+/, ""));
  if (joined === null) throw archiveError(`invalid archive: path ${JSON.stringify(path)} is outside the archive`);
}

/** Random-access bytes (a file, a Blob): what a tar archive can be indexed over. */
export interface RangeReader {
  readonly size: number;
  /** Up to `length` bytes at `offset` (fewer only at the end). */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** What member reads need of a file handle: positional reads and close. */
type PositionalHandle = Pick<FileHandle, "read" | "close">;

function rangeHandle(bytes: RangeReader): PositionalHandle {
  return {
    async read(into: Uint8Array, position?: number | null): Promise<number> {
      const got = await bytes.read(position ?? 0, into.length);
      into.set(got.length > into.length ? got.subarray(0, into.length) : got);
      return Math.min(got.length, into.length);
    },
    close: () => Promise.resolve(),
  };
}

/** A whole archive of known size as a source that can seek forward (the index pass skips bodies). */
function seekingSource(handle: PositionalHandle, size: number): ByteSource {
  let at = 0;
  return {
    async read(into: Uint8Array): Promise<number> {
      const want = Math.min(into.length, size - at);
      if (want <= 0) return 0;
      const n = await handle.read(into.subarray(0, want), at);
      at += n;
      return n;
    },
    skip(n: number): Promise<number> {
      const step = Math.max(0, Math.min(n, size - at));
      at += step;
      return Promise.resolve(step);
    },
  };
}

/** A region of a file as a MemberSource, read by position on its own handle. */
function regionSource(handle: PositionalHandle, start: number, size: number, label: string): MemberSource {
  let at = start;
  const end = start + size;
  return {
    size,
    async read(into: Uint8Array): Promise<number> {
      const want = Math.min(into.length, end - at);
      if (want <= 0) return 0;
      const n = await handle.read(into.subarray(0, want), at);
      if (n === 0) throw archiveError(`${label}: archive file ended early`);
      at += n;
      return n;
    },
    close: () => handle.close(),
  };
}

/** Where a regular member's bytes lie in the archive. */
export interface MemberRegion {
  path: string;
  offset: number;
  size: number;
}

/** A plain (uncompressed) tar, indexed once. */
export class TarFileArchive implements ArchiveSource {
  private constructor(
    private readonly openHandle: () => Promise<PositionalHandle>,
    private readonly members: Map<string, Node>,
    readonly label: string,
  ) {}

  /** Reads every header once; bodies are skipped. Fails on truncation and unsafe names. */
  static async index(files: FilesPort, path: string, label = path): Promise<TarFileArchive> {
    const info = await files.stat(path);
    const handle = await files.open(path, "r");
    try {
      // A regular file is seeked over its bodies; anything else is read through.
      const members = await indexMembers(info?.kind === "file" ? seekingSource(handle, info.size) : handle, label);
      return new TarFileArchive(() => files.open(path, "r"), members, label);
    } finally {
      await handle.close().catch(() => {});
    }
  }

  /** The same over random-access bytes (a Blob in a browser, a file read by ranges). */
  static async indexBytes(bytes: RangeReader, label: string): Promise<TarFileArchive> {
    const members = await indexMembers(seekingSource(rangeHandle(bytes), bytes.size), label);
    return new TarFileArchive(() => Promise.resolve(rangeHandle(bytes)), members, label);
  }

  /** Every regular member (not links), in no particular order. */
  regions(): MemberRegion[] {
    const out: MemberRegion[] = [];
    for (const [path, node] of this.members) if (node.kind === "file") out.push({ path, offset: node.at, size: node.size });
    return out;
  }

  /** Where `path` lies after links are followed, or null when it is absent or not a regular file. */
  async region(path: string): Promise<MemberRegion | null> {
    if (cleanMemberPath(path.replace(/^\/+/, "")) === null) return null;
    const resolved = await resolveInScope(path, this.lookup);
    return resolved.node?.kind === "file" ? { path: resolved.path, offset: resolved.node.at, size: resolved.node.size } : null;
  }

  private lookup = (p: string): Promise<Node | null> => Promise.resolve(this.members.get(p) ?? null);

  exists(path: string): Promise<boolean> {
    return isRegularMember(path, this.lookup);
  }

  async open(path: string, what: string): Promise<MemberSource> {
    checkReference(path);
    const { node } = await resolveInScope(path, this.lookup);
    if (!node) throw archiveError(`invalid archive: ${what} ${JSON.stringify(path)} not found in the archive`);
    if (node.kind !== "file") throw archiveError(`invalid archive: ${what} ${JSON.stringify(path)} is not a regular file`);
    const handle = await this.openHandle();
    return regionSource(handle, node.at, node.size, `${what} ${JSON.stringify(path)}`);
  }

  async close(): Promise<void> {}
}

/** One TarReader pass over the headers, seeking over bodies. */
async function indexMembers(source: ByteSource, label: string): Promise<Map<string, Node>> {
  const members = new Map<string, Node>();
  try {
    const reader = new TarReader(source);
    for (let entry = await reader.next(); entry; entry = await reader.next()) {
      const h = entry.header;
      const name = cleanMemberPath(h.name.replace(/^\/+/, ""));
      if (name === null) throw archiveError(`invalid archive: member ${JSON.stringify(h.name)} is outside the archive`);
      if (name === "") continue;
      const bodyAt = reader.position;
      // Missing parent directories are implied, as an extraction would create them.
      const parts = name.split("/");
      for (let i = 1; i < parts.length; i++) {
        const dir = parts.slice(0, i).join("/");
        if (!members.has(dir)) members.set(dir, { kind: "dir" });
      }
      switch (h.typeflag) {
        case "0":
        case "7":
          members.set(name, { kind: "file", size: entry.bodyLength, at: bodyAt });
          break;
        case "5":
          members.set(name, { kind: "dir" });
          break;
        case "2":
          members.set(name, { kind: "symlink", target: h.linkname });
          break;
        case "1": {
          const target = cleanMemberPath(h.linkname.replace(/^\/+/, ""));
          if (target === null) throw archiveError(`invalid archive: hard link ${JSON.stringify(h.name)} points outside the archive`);
          members.set(name, { kind: "hardlink", target });
          break;
        }
        default:
          break; // devices and FIFOs have no place in an image archive; ignored as content
      }
      await entry.skip();
    }
  } catch (e) {
    if (e instanceof WharfError && (e.code === "TAR_TRUNCATED" || e.code === "TAR_HEADER" || e.code === "TAR_CHECKSUM" || e.code === "TAR_PAX")) {
      throw archiveError(`invalid archive ${label}: ${e.message}`);
    }
    throw e;
  }
  return members;
}

/** Whether `path` names a regular file of the archive, resolved inside it (the same rules as `open`). */
async function isRegularMember(path: string, lookup: (p: string) => Promise<Node | null>): Promise<boolean> {
  if (cleanMemberPath(path.replace(/^\/+/, "")) === null) return false;
  const { node } = await resolveInScope(path, lookup);
  return node?.kind === "file";
}

/** A directory holding an archive's content (an OCI image layout on disk). */
export class DirectoryArchive implements ArchiveSource {
  constructor(private readonly files: FilesPort, private readonly root: string, readonly label = root) {}

  private lookup = async (p: string): Promise<Node | null> => {
    const info = await this.files.lstat(`${this.root}/${p}`);
    if (!info) return null;
    if (info.kind === "symlink") return { kind: "symlink", target: await this.files.readlink(`${this.root}/${p}`) };
    if (info.kind === "dir") return { kind: "dir" };
    if (info.kind === "file") return { kind: "file", size: info.size, at: 0 };
    return null;
  };

  exists(path: string): Promise<boolean> {
    return isRegularMember(path, this.lookup);
  }

  async open(path: string, what: string): Promise<MemberSource> {
    checkReference(path);
    const resolved = await resolveInScope(path, this.lookup);
    if (!resolved.node) throw archiveError(`invalid archive: ${what} ${JSON.stringify(path)} not found in ${this.label}`);
    if (resolved.node.kind !== "file") throw archiveError(`invalid archive: ${what} ${JSON.stringify(path)} is not a regular file`);
    const full = `${this.root}/${resolved.path}`;
    const handle = await this.files.open(full, "r");
    return regionSource(handle, 0, resolved.node.size, `${what} ${JSON.stringify(path)}`);
  }

  async close(): Promise<void> {}
}

/** Reads a small member whole (manifests, configs), refusing anything over `limit`. */
export async function readMember(archive: ArchiveSource, path: string, what: string, limit = 64 << 20): Promise<Uint8Array> {
  const source = await archive.open(path, what);
  try {
    if (source.size > limit) throw archiveError(`invalid archive: ${what} ${JSON.stringify(path)} is larger than ${limit} bytes`);
    const out = new Uint8Array(source.size);
    let filled = 0;
    while (filled < out.length) {
      const n = await source.read(out.subarray(filled));
      if (n === 0) break;
      filled += n;
    }
    return out;
  } finally {
    await source.close();
  }
}
