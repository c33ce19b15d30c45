/**
 * dive's layer efficiency (wagoodman/dive `filetree.Efficiency` and `image.Analyze`), followed
 * literally so the figures match `dive --ci` on the same image:
 *
 * - Each layer is a tree built from its tar entries in order (`AddPath`): a `.wh.<name>` entry is
 *   a node of that name (its path is `<name>`); `.wh..wh..opq` (opaque) markers are not added at
 *   all, so dive does not count what an opaque directory hides. Parents missing from the tar are
 *   nodes with empty info (size 0, not a directory).
 * - Only leaves are visited (nodes without children), child first in name order. A leaf counts
 *   its header size; a whiteout leaf counts 0 when the path it deletes was a file, and the sizes
 *   of the deleted node and everything under it when it was a directory — looked up in the stack
 *   of the layers below (dive's `StackTreeRange(trees, 0, i-1)`, which also ignores opaque
 *   markers). When that path is absent, dive's visitor fails and the rest of that layer is not
 *   visited; so here too.
 * - Per path: cumulative size (sum over the layers it is a leaf in), minimum size, and count.
 *   score = Σ minimum / Σ cumulative (1 when Σ cumulative is 0); a path with count ≥ 2 is an
 *   inefficiency; wastedBytes = Σ their cumulative sizes.
 * - A layer's size is the sum of its entries' header sizes; userSizeBytes leaves out the first
 *   layer; userWastedPercent = wastedBytes / userSizeBytes (dive divides by 0; here 0).
 *
 * Paths are reported without dive's leading "/", like every other path in the report.
 */
import type { EfficiencyReport, FileEntry, Inefficiency } from "./model.ts";

interface DNode {
  name: string;
  parent?: DNode;
  children?: Map<string, DNode>;
  size: number;
  isDir: boolean;
}

const WHITEOUT = ".wh.";
const DOUBLE_WHITEOUT = ".wh..wh..";

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function newTree(): DNode {
  return { name: "", size: 0, isDir: false };
}

/** The entry's name as it was in the tar (dive keys its nodes by the raw names). */
function rawPath(e: FileEntry): string {
  if (e.opaque) return e.path === "" ? ".wh..wh..opq" : `${e.path}/.wh..wh..opq`;
  if (!e.whiteout) return e.path;
  const slash = e.path.lastIndexOf("/");
  return `${e.path.slice(0, slash + 1)}${WHITEOUT}${e.path.slice(slash + 1)}`;
}

/** dive `FileTree.AddPath`: creates missing parents with empty info; a `.wh..wh..` name is never added. */
function addPath(root: DNode, path: string, info: { size: number; isDir: boolean }): void {
  const names = path.split("/").filter((n) => n !== "");
  let node = root;
  for (const [i, name] of names.entries()) {
    let child = node.children?.get(name);
    if (!child) {
      if (name.startsWith(DOUBLE_WHITEOUT)) return;
      child = { name, parent: node, size: 0, isDir: false };
      (node.children ??= new Map()).set(name, child);
    }
    node = child;
    if (i === names.length - 1) {
      node.size = info.size;
      node.isDir = info.isDir;
    }
  }
}

function getNode(root: DNode, path: string): DNode | undefined {
  let node: DNode | undefined = root;
  for (const name of path.split("/")) {
    if (name === "") continue;
    node = node.children?.get(name);
    if (!node) return undefined;
  }
  return node;
}

/** dive `FileNode.Path()` without the leading "/": the whiteout prefix is dropped from the leaf only. */
function pathOf(node: DNode): string {
  const names: string[] = [];
  for (let n: DNode | undefined = node; n?.parent; n = n.parent) {
    names.push(n === node && n.name.startsWith(WHITEOUT) ? n.name.slice(WHITEOUT.length) : n.name);
  }
  return names.reverse().join("/");
}

/** Child-first walk in name order (dive `VisitDepthChildFirst`); the visitor may stop it by returning false. */
function visitChildFirst(node: DNode, visit: (n: DNode) => boolean): boolean {
  if (node.children) {
    for (const name of [...node.children.keys()].sort(byName)) {
      if (!visitChildFirst(node.children.get(name)!, visit)) return false;
    }
  }
  return node.parent === undefined ? true : visit(node);
}

function copyTree(node: DNode, parent?: DNode): DNode {
  const copy: DNode = { name: node.name, size: node.size, isDir: node.isDir };
  if (parent) copy.parent = parent;
  if (node.children) copy.children = new Map([...node.children].map(([k, v]) => [k, copyTree(v, copy)]));
  return copy;
}

/** dive `FileTree.Stack`: whiteouts remove their path, every other node is added with its info. */
function stack(lower: DNode, upper: DNode): void {
  visitChildFirst(upper, (node) => {
    const path = pathOf(node);
    if (node.name.startsWith(WHITEOUT)) {
      const target = getNode(lower, path);
      if (target?.parent) target.parent.children!.delete(target.name);
    } else {
      addPath(lower, path, node);
    }
    return true;
  });
}

function subtreeSize(node: DNode): number {
  let total = node.size;
  for (const child of node.children?.values() ?? []) total += subtreeSize(child);
  return total;
}

interface PathData {
  cumulative: number;
  minimum: number;
  count: number;
}

/** `layers`: each layer's entries in tar order, bottom first. */
export function diveEfficiency(layers: ReadonlyArray<readonly FileEntry[]>): EfficiencyReport {
  const trees = layers.map((entries) => {
    const root = newTree();
    for (const e of entries) addPath(root, rawPath(e), { size: e.size, isDir: e.kind === "dir" });
    return root;
  });
  const layerSizes = layers.map((entries) => entries.reduce((n, e) => n + e.size, 0));
  const data = new Map<string, PathData>();
  let below: DNode | undefined; // dive's StackTreeRange(trees, 0, i-1), kept up to date
  trees.forEach((tree, i) => {
    if (i === 1) {
      below = copyTree(trees[0]!);
      stack(below, trees[0]!); // dive stacks trees[0] onto its own copy
    } else if (i > 1) {
      stack(below!, trees[i - 1]!);
    }
    const lower = i === 0 ? tree : below!;
    visitChildFirst(tree, (node) => {
      if (node.children && node.children.size > 0) return true; // leaves only
      const path = pathOf(node);
      let size = node.size;
      if (node.name.startsWith(WHITEOUT)) {
        const previous = getNode(lower, path);
        if (!previous) return false; // dive: "path does not exist", the rest of this layer is skipped
        size = previous.isDir ? subtreeSize(previous) : 0;
      }
      const d = data.get(path) ?? { cumulative: 0, minimum: -1, count: 0 };
      d.cumulative += size;
      if (d.minimum < 0 || size < d.minimum) d.minimum = size;
      d.count++;
      data.set(path, d);
      return true;
    });
  });
  let minimumSum = 0;
  let discoveredSum = 0;
  const inefficiencies: Inefficiency[] = [];
  for (const [path, d] of data) {
    minimumSum += d.minimum;
    discoveredSum += d.cumulative;
    if (d.count >= 2) inefficiencies.push({ path, count: d.count, cumulativeSize: d.cumulative });
  }
  inefficiencies.sort((a, b) => b.cumulativeSize - a.cumulativeSize || byName(a.path, b.path));
  const wastedBytes = inefficiencies.reduce((n, x) => n + x.cumulativeSize, 0);
  const totalSizeBytes = layerSizes.reduce((n, s) => n + s, 0);
  const userSizeBytes = totalSizeBytes - (layerSizes[0] ?? 0);
  return {
    score: discoveredSum === 0 ? 1 : minimumSum / discoveredSum,
    wastedBytes,
    userSizeBytes,
    userWastedPercent: userSizeBytes > 0 ? wastedBytes / userSizeBytes : 0,
    totalSizeBytes,
    inefficiencies,
  };
}
