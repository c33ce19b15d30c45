/**
 * Random access to what `docker load` reads: a plain tar file indexed once (each member's
 * offset and size, from a single TarReader pass), or a directory (an OCI image layout). Members
 * are then read by position straight from the archive file, so a layer is streamed into
 * registration without a temporary copy. Paths resolve the way moby's `safePath` does
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

/** A region of a file as a MemberSource, read by position on its own handle. */
function regionSource(handle: FileHandle, start: number, size: number, label: string): MemberSource {
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

/** A plain (uncompressed) tar file, indexed once. */
export class TarFileArchive implements ArchiveSource {
  private constructor(
    private readonly files: FilesPort,
    private readonly path: string,
    private readonly members: Map<string, Node>,
    readonly label: string,
  ) {}

  /** Reads every header once; bodies are skipped. Fails on truncation and unsafe names. */
  static async index(files: FilesPort, path: string, label = path): Promise<TarFileArchive> {
    const handle = await files.open(path, "r");
    const members = new Map<string, Node>();
    try {
      const reader = new TarReader(handle);
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
      await handle.close().catch(() => {});
      if (e instanceof WharfError && (e.code === "TAR_TRUNCATED" || e.code === "TAR_HEADER" || e.code === "TAR_CHECKSUM" || e.code === "TAR_PAX")) {
        throw archiveError(`invalid archive ${label}: ${e.message}`);
      }
      throw e;
    }
    await handle.close();
    return new TarFileArchive(files, path, members, label);
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
    const handle = await this.files.open(this.path, "r");
    return regionSource(handle, node.at, node.size, `${what} ${JSON.stringify(path)}`);
  }

  async close(): Promise<void> {}
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
