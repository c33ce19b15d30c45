/** Small DOM helpers: the page is plain DOM, no framework. */
import type { Verified } from "../../src/analyze/model.ts";

type Child = Node | string | number | null | undefined | false;

/** Creates an element; `attrs` go through setAttribute (undefined ones are left out). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, String(v));
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(typeof c === "number" ? String(c) : c);
  return el;
}

/** Decimal units, as `docker images` prints sizes. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

/** The value of the data-*-verified test hooks. */
export function verifiedAttr(v: Verified): "true" | "false" | "unknown" {
  return v === undefined ? "unknown" : v ? "true" : "false";
}

/** ✓ verified / ✗ failed / – not checked. */
export function mark(v: Verified, what: string): HTMLSpanElement {
  const [sym, cls, text] = v === undefined ? ["–", "none", "not checked"] : v ? ["✓", "ok", "verified"] : ["✗", "bad", "FAILED"];
  return h("span", { class: `mark ${cls}`, title: `${what}: ${text}`, "aria-label": `${what} ${text}` }, sym);
}

/** A digest with its check mark, and the expected value beside it when they differ. */
export function digestCell(actual: string, expected: string | undefined, v: Verified, what: string): HTMLTableCellElement {
  const cell = h("td", { class: "digest" }, mark(v, what), actual || "—");
  if (expected !== undefined && expected !== actual) cell.append(h("div", { class: "layer-error" }, `expected ${expected}`));
  return cell;
}

/** JSON pretty-printed when it parses, else as stored. */
export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export const shortId = (digest: string) => digest.replace(/^sha256:/, "").slice(0, 12);
