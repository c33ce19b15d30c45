/**
 * Change detection (moby `pkg/archive/changes.go`): what a layer adds, changes and deletes
 * against its parent. `changesDirs` compares two full trees (naive drivers); `overlayChanges`
 * reads an overlay upper directory, where deletions are 0:0 char devices and opaque dirs.
 */
import type { FileInfo, FilesPort } from "../ports.ts";
import type { Change } from "../graphdriver/driver.ts";
import { joinPath } from "./path.ts";
import { major, minor } from "./copy.ts";

const CAPABILITY_XATTR = "security.capability";

interface TreeNode {
  info: FileInfo;
  children: Map<string, TreeNode>;
}

async function readTree(files: FilesPort, abs: string, info: FileInfo): Promise<TreeNode> {
  const node: TreeNode = { info, children: new Map() };
  if (info.kind !== "dir") return node;
  for (const name of (await files.readdir(abs)).sort()) {
    const childAbs = joinPath(abs, name);
    const child = await files.lstat(childAbs);
    if (child) node.children.set(name, await readTree(files, childAbs, child));
  }
  return node;
}

/** Go's sameFsTimeSpec: equal seconds, and equal nanoseconds unless one side has none. */
function sameTime(aMs: number, bMs: number): boolean {
  if (Math.floor(aMs / 1000) !== Math.floor(bMs / 1000)) return false;
  const an = aMs % 1000;
  const bn = bMs % 1000;
  return an === bn || an === 0 || bn === 0;
}

/** moby statDifferent: mode, owner, device; size and mtime only for non-directories. */
function statDifferent(a: FileInfo, b: FileInfo): boolean {
  if (a.kind !== b.kind || a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid || a.rdev !== b.rdev) return true;
  return a.kind !== "dir" && (!sameTime(a.mtimeMs, b.mtimeMs) || a.size !== b.size);
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Changes of the tree at `newDir` against `oldDir` (undefined: everything is added), sorted by path. */
export async function changesDirs(files: FilesPort, newDir: string, oldDir: string | undefined): Promise<Change[]> {
  const newInfo = await files.lstat(newDir);
  if (!newInfo) return [];
  const newRoot = await readTree(files, newDir, newInfo);
  const oldInfo = oldDir === undefined ? null : await files.lstat(oldDir);
  const oldRoot = oldInfo ? await readTree(files, oldDir!, oldInfo) : undefined;
  const changes: Change[] = [];
  const walker = new TreeComparer(files, newDir, oldDir ?? "", changes);
  await walker.compare(newRoot, oldRoot ?? { info: newInfo, children: new Map() }, "", false);
  return sortChanges(changes);
}

class TreeComparer {
  constructor(
    private readonly files: FilesPort,
    private readonly newDir: string,
    private readonly oldDir: string,
    private readonly changes: Change[],
  ) {}

  /** moby addChanges; `reported` tells whether this node itself is already in the list (A or C). */
  async compare(node: TreeNode, old: TreeNode | undefined, path: string, reported: boolean): Promise<void> {
    const sizeAtEntry = this.changes.length;
    if (old === undefined) {
      this.changes.push({ path, kind: "A" });
      reported = true;
    }
    const oldChildren = new Map(old !== undefined && node.info.kind === "dir" ? old.children : []);
    for (const [name, child] of node.children) {
      const childPath = `${path}/${name}`;
      const oldChild = oldChildren.get(name);
      let childReported = false;
      if (oldChild !== undefined) {
        if (await this.differs(childPath, oldChild.info, child.info)) {
          this.changes.push({ path: childPath, kind: "C" });
          childReported = true;
        }
        oldChildren.delete(name);
      }
      await this.compare(child, oldChild, childPath, childReported);
    }
    for (const name of oldChildren.keys()) this.changes.push({ path: `${path}/${name}`, kind: "D" });
    // A directory with changes inside is reported too, before them, so its metadata travels.
    if (this.changes.length > sizeAtEntry && node.info.kind === "dir" && !reported && path !== "") {
      this.changes.splice(sizeAtEntry, 0, { path, kind: "C" });
    }
  }

  private async differs(path: string, a: FileInfo, b: FileInfo): Promise<boolean> {
    if (statDifferent(a, b)) return true;
    if (a.kind === "symlink") {
      return (await this.files.readlink(this.oldDir + path)) !== (await this.files.readlink(this.newDir + path));
    }
    if (a.kind !== "file") return false;
    const [oldCap, newCap] = await Promise.all([
      this.files.getxattr(this.oldDir + path, CAPABILITY_XATTR).catch(() => null),
      this.files.getxattr(this.newDir + path, CAPABILITY_XATTR).catch(() => null),
    ]);
    return !sameBytes(oldCap, newCap);
  }
}

/**
 * Is this upper-dir node a deletion marker (0:0 char device, or an opaque directory)?
 * `readOpaque` reads the directory's opaque xattr (default: `getxattr`, failures as absent).
 */
export async function isOverlayDeletion(
  files: FilesPort, abs: string, info: FileInfo, opaqueXattr: string,
  readOpaque: (abs: string) => Promise<Uint8Array | null> = (path) => files.getxattr(path, opaqueXattr).catch(() => null),
): Promise<boolean> {
  if (info.kind === "char") return major(info.rdev) === 0 && minor(info.rdev) === 0;
  if (info.kind !== "dir") return false;
  const value = await readOpaque(abs);
  return value !== null && value.length === 1 && value[0] === 0x79;
}

/**
 * moby OverlayChanges: every node of `upperDir` is a change: D for deletion markers, C when the
 * path exists in a lower dir (unless both are identical dirs), A otherwise; the parent of an A or
 * D is reported C unless it already is.
 */
export async function overlayChanges(files: FilesPort, lowerDirs: readonly string[], upperDir: string, opaqueXattr: string): Promise<Change[]> {
  const changes: Change[] = [];
  const changedDirs = new Set<string>();
  const visit = async (path: string): Promise<void> => {
    for (const name of (await files.readdir(upperDir + path)).sort()) {
      const childPath = `${path}/${name}`;
      const abs = upperDir + childPath;
      const info = await files.lstat(abs);
      if (!info) continue;
      const kind = await overlayKind(files, lowerDirs, abs, childPath, info, opaqueXattr);
      if (kind !== undefined) {
        if (info.kind === "dir") changedDirs.add(childPath);
        if (kind !== "C" && path !== "" && !changedDirs.has(path)) {
          changes.push({ path, kind: "C" });
          changedDirs.add(path);
        }
        changes.push({ path: childPath, kind });
      }
      if (info.kind === "dir") await visit(childPath);
    }
  };
  await visit("");
  return sortChanges(changes);
}

async function overlayKind(
  files: FilesPort, lowerDirs: readonly string[], abs: string, path: string, info: FileInfo, opaqueXattr: string,
): Promise<Change["kind"] | undefined> {
  if (await isOverlayDeletion(files, abs, info, opaqueXattr)) return "D";
  for (const lower of lowerDirs) {
    const below = await files.stat(lower + path).catch(() => null);
    if (!below) continue;
    const sameDir = below.kind === "dir" && info.kind === "dir" && below.size === info.size && below.mode === info.mode && sameTime(below.mtimeMs, info.mtimeMs);
    return sameDir ? undefined : "C";
  }
  return "A";
}

export function sortChanges(changes: Change[]): Change[] {
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** moby ChangesSize: sizes of added and changed non-directories under `dir`, hard links once. */
export async function changesSize(files: FilesPort, dir: string, changes: readonly Change[]): Promise<number> {
  let size = 0;
  const seen = new Set<string>();
  for (const change of changes) {
    if (change.kind === "D") continue;
    const info = await files.lstat(dir + change.path);
    if (!info || info.kind === "dir") continue;
    if (info.nlink > 1) {
      const key = `${info.dev}:${info.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
    }
    size += info.size;
  }
  return size;
}
