/**
 * File trees of an image, the way Docker's overlay applies layers: each layer's own tree (what it
 * added, changed or deleted, given the layers below) and the merged tree (whiteouts and opaque
 * directories applied). Built by stacking the layers once, bottom first.
 */
import type { ChangeKind, FileEntry, TreeNode } from "./model.ts";

interface MNode {
  name: string;
  path: string;
  entry?: FileEntry;
  layer?: number;
  change: ChangeKind;
  children?: Map<string, MNode>;
}

const newRoot = (): MNode => ({ name: "", path: "", change: "unchanged", children: new Map() });

/** aufs metadata (`.wh..wh..plnk` & co.): not content, left out of trees as dive and Docker do. */
const isMeta = (path: string) => path.split("/").some((p) => p.startsWith(".wh..wh."));

function isDir(node: MNode): boolean {
  return node.entry ? node.entry.kind === "dir" : node.children !== undefined;
}

function find(root: MNode, path: string): MNode | undefined {
  if (path === "") return root;
  let node: MNode | undefined = root;
  for (const part of path.split("/")) {
    node = node.children?.get(part);
    if (!node) return undefined;
  }
  return node;
}

/** The node at `path`, parents created (without entries) as needed. */
function ensure(root: MNode, path: string): MNode {
  let node = root;
  let at = "";
  for (const part of path.split("/")) {
    at = at === "" ? part : `${at}/${part}`;
    node.children ??= new Map();
    let next = node.children.get(part);
    if (!next) {
      next = { name: part, path: at, change: "unchanged" };
      node.children.set(part, next);
    }
    node = next;
  }
  return node;
}

function remove(root: MNode, path: string): void {
  const slash = path.lastIndexOf("/");
  const parent = find(root, slash < 0 ? "" : path.slice(0, slash));
  parent?.children?.delete(path.slice(slash + 1));
}

/** A lower subtree as seen from the layer that deletes it: every node marked deleted. */
function deletedCopy(node: MNode, layer: number): MNode {
  const copy: MNode = { name: node.name, path: node.path, change: "deleted", layer };
  if (node.entry) copy.entry = node.entry;
  if (node.children) copy.children = new Map([...node.children].map(([k, v]) => [k, deletedCopy(v, layer)]));
  return copy;
}

function toTree(node: MNode): TreeNode {
  const out: TreeNode = { name: node.name, path: node.path, change: node.change };
  if (node.entry) out.entry = node.entry;
  if (node.layer !== undefined) out.layer = node.layer;
  if (node.children) {
    out.children = [...node.children.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(toTree);
  } else if (node.entry?.kind === "dir") {
    out.children = [];
  }
  return out;
}

/**
 * One layer's tree against `lower` (the layers below, merged): entries marked added (new path),
 * changed (the path existed below) or deleted (a whiteout, with what it hid below); an opaque
 * directory lists the lower children it hides as deleted.
 */
function layerTree(lower: MNode, entries: readonly FileEntry[], index: number): MNode {
  const root = newRoot();
  const opaque: string[] = [];
  for (const e of entries) {
    if (isMeta(e.path)) continue;
    if (e.opaque) {
      opaque.push(e.path);
      continue;
    }
    const below = find(lower, e.path);
    const node = e.path === "" ? root : ensure(root, e.path);
    node.entry = e;
    node.layer = index;
    if (e.whiteout) {
      node.change = "deleted";
      if (below?.children) node.children = new Map([...below.children].map(([k, v]) => [k, deletedCopy(v, index)]));
    } else {
      node.change = below ? "changed" : "added";
    }
  }
  for (const dir of opaque) {
    const below = find(lower, dir);
    if (!below?.children) continue;
    const node = dir === "" ? root : ensure(root, dir);
    node.children ??= new Map();
    for (const [name, child] of below.children) if (!node.children.has(name)) node.children.set(name, deletedCopy(child, index));
  }
  return root;
}

/** Applies a layer to the merged tree: deletions (whiteouts, opaque directories) against the lower state first, then its entries. */
function applyLayer(merged: MNode, entries: readonly FileEntry[], own: MNode, index: number): void {
  for (const e of entries) {
    if (isMeta(e.path)) continue;
    if (e.whiteout) remove(merged, e.path);
    else if (e.opaque) {
      const dir = find(merged, e.path);
      if (dir?.children) dir.children.clear();
    }
  }
  for (const e of entries) {
    if (isMeta(e.path) || e.whiteout || e.opaque) continue;
    const existing = find(merged, e.path);
    // As Docker's applier: anything but a directory over a directory replaces the old path whole.
    if (existing && !(isDir(existing) && e.kind === "dir")) existing.children = undefined;
    const node = ensure(merged, e.path);
    node.entry = e;
    node.layer = index;
    node.change = find(own, e.path)?.change ?? "added";
  }
}

/** Marks in the merged tree: what the top layer did; "unchanged" for everything it left alone. */
function markTop(node: MNode, top: number): void {
  if (node.layer !== top) node.change = "unchanged";
  for (const child of node.children?.values() ?? []) markTop(child, top);
}

export interface ImageTrees {
  /** Each layer's own tree, in the image's layer order. */
  layerTrees: TreeNode[];
  merged: TreeNode;
}

/** `layers`: each layer's entries, bottom first. */
export function buildTrees(layers: ReadonlyArray<readonly FileEntry[]>): ImageTrees {
  const merged = newRoot();
  const layerTrees: TreeNode[] = [];
  layers.forEach((entries, index) => {
    const own = layerTree(merged, entries, index);
    layerTrees.push(toTree(own));
    applyLayer(merged, entries, own, index);
  });
  markTop(merged, layers.length - 1);
  return { layerTrees, merged: toTree(merged) };
}
