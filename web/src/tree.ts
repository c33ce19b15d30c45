/**
 * A lazily rendered file tree: a directory's children become DOM only when it is expanded, at
 * most PAGE of them at a time, and a search renders matches only (capped), so a 20 000-file
 * layer costs a few hundred rows of DOM, not 20 000.
 */
import type { TreeNode } from "../../src/analyze/model.ts";
import { formatBytes, h } from "./dom.ts";

const PAGE = 500;
const SEARCH_CAP = 500;

export interface TreeSource {
  root: TreeNode;
  /** Directories shown as opaque (a `.wh..wh..opq` in the layer that set them). */
  isOpaque(node: TreeNode): boolean;
}

export class TreeView {
  private source: TreeSource | undefined;
  private query = "";
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly box: HTMLElement, private readonly status: HTMLElement, private readonly search: HTMLInputElement) {
    search.addEventListener("input", () => {
      clearTimeout(this.timer);
      // Debounced: one walk of a large tree per pause in typing, not per key.
      this.timer = setTimeout(() => this.setQuery(search.value), 120);
    });
  }

  show(source: TreeSource): void {
    this.source = source;
    clearTimeout(this.timer);
    this.setQuery(this.search.value);
  }

  setQuery(query: string): void {
    this.query = query.trim().toLowerCase();
    this.render();
  }

  private render(): void {
    this.box.replaceChildren();
    if (!this.source) return;
    if (this.query) this.renderMatches(this.source);
    else {
      this.status.textContent = `${countNodes(this.source.root).toLocaleString()} paths`;
      this.renderChildren(this.source.root, this.box, 0);
    }
  }

  /** Matches by path substring, in tree order, as flat rows with their full paths. */
  private renderMatches(source: TreeSource): void {
    const matches: TreeNode[] = [];
    let total = 0;
    const stack: TreeNode[] = [...(source.root.children ?? [])].reverse();
    while (stack.length) {
      const node = stack.pop()!;
      if (node.path.toLowerCase().includes(this.query)) {
        total++;
        if (matches.length < SEARCH_CAP) matches.push(node);
      }
      const kids = node.children;
      if (kids) for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
    }
    this.status.textContent = total > SEARCH_CAP ? `${total.toLocaleString()} matches, first ${SEARCH_CAP} shown` : `${total} match${total === 1 ? "" : "es"}`;
    for (const node of matches) this.box.append(this.row(node, node.path));
  }

  private renderChildren(node: TreeNode, into: HTMLElement, from: number): void {
    const kids = sorted(node);
    const end = Math.min(kids.length, from + PAGE);
    for (let i = from; i < end; i++) {
      const kid = kids[i]!;
      const row = this.row(kid, kid.name);
      into.append(row);
      if (kid.children?.length) {
        const box = h("div", { class: "children", hidden: "" });
        into.append(box);
        this.bindToggle(row, kid, box);
      }
    }
    if (end < kids.length) {
      const more = h("button", { class: "more", type: "button" }, `show ${Math.min(PAGE, kids.length - end)} more of ${kids.length - end}`);
      more.addEventListener("click", () => {
        more.remove();
        this.renderChildren(node, into, end);
      });
      into.append(more);
    }
  }

  private bindToggle(row: HTMLElement, node: TreeNode, box: HTMLElement): void {
    const toggle = row.querySelector<HTMLElement>(".toggle")!;
    toggle.textContent = "▸";
    let rendered = false;
    const flip = () => {
      if (!rendered) {
        rendered = true;
        this.renderChildren(node, box, 0);
      }
      box.hidden = !box.hidden;
      toggle.textContent = box.hidden ? "▸" : "▾";
      row.setAttribute("aria-expanded", String(!box.hidden));
    };
    toggle.addEventListener("click", flip);
    row.querySelector(".name")!.addEventListener("click", flip);
    row.setAttribute("aria-expanded", "false");
  }

  private row(node: TreeNode, label: string): HTMLElement {
    const e = node.entry;
    const opaque = this.source!.isOpaque(node);
    const link = e?.linkname ? ` → ${e.linkname}` : "";
    const dir = e?.kind === "dir" || (!e && node.children !== undefined);
    const row = h(
      "div",
      {
        class: "node",
        role: "treeitem",
        "data-path": node.path,
        "data-change": node.change,
        "data-opaque": opaque ? "true" : undefined,
        "data-layer": node.layer,
      },
      h("span", { class: "toggle" }),
      h("span", { class: "name", title: node.path }, `${label}${dir ? "/" : ""}${link}`),
      node.change !== "unchanged" && h("span", { class: `flag ${node.change}` }, node.change),
      opaque && h("span", { class: "flag opaque", title: "opaque directory: lower layers' contents hidden" }, "opaque"),
      node.layer !== undefined && h("span", { class: "hint" }, `L${node.layer}`),
      h("span", { class: "size" }, e && e.kind === "file" ? formatBytes(e.size) : ""),
    );
    return row;
  }
}

/** Directories first, then by name; sorted once per node and cached. */
const order = new WeakMap<TreeNode, TreeNode[]>();
function sorted(node: TreeNode): TreeNode[] {
  let kids = order.get(node);
  if (!kids) {
    kids = [...(node.children ?? [])].sort((a, b) => Number(!a.children) - Number(!b.children) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    order.set(node, kids);
  }
  return kids;
}

function countNodes(root: TreeNode): number {
  let n = 0;
  const stack = [...(root.children ?? [])];
  while (stack.length) {
    const node = stack.pop()!;
    n++;
    for (const kid of node.children ?? []) stack.push(kid);
  }
  return n;
}
