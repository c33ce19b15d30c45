/**
 * Paths inside a layer: tar names cleaned as Go's filepath.Clean does, and the checks moby's
 * `pkg/archive` makes before touching the disk (breakouts through `..`, absolute names, links
 * that leave the layer). Everything here is pure string work; the disk checks live in apply.ts.
 */
import { WharfError } from "../errors.ts";
import { cleanPath } from "../format/go-path.ts";


/** AUFS whiteout markers as Docker writes them in layer tars. */
export const WHITEOUT_PREFIX = ".wh.";
export const WHITEOUT_META_PREFIX = ".wh..wh.";
export const WHITEOUT_OPAQUE_DIR = ".wh..wh..opq";
export const WHITEOUT_LINK_DIR = ".wh..wh.plnk";


/** Joins path pieces with `/` (no cleaning). */
export function joinPath(dir: string, rel: string): string {
  if (rel === "" || rel === ".") return dir;
  return dir.endsWith("/") ? dir + rel : `${dir}/${rel}`;
}

export function dirname(rel: string): string {
  const slash = rel.lastIndexOf("/");
  return slash < 0 ? "." : slash === 0 ? "/" : rel.slice(0, slash);
}

export function basename(rel: string): string {
  return rel.slice(rel.lastIndexOf("/") + 1);
}

export function unsafeEntry(name: string, cause: string): WharfError {
  return new WharfError("UNSAFE_PATH", `unsafe layer entry ${JSON.stringify(name)}: ${cause}`);
}

/**
 * The layer-relative path for a tar entry name: cleaned, `.` for the layer root. Absolute
 * names and names that climb out of the layer are refused (Docker's breakout check; wharf also
 * refuses absolute names, which Docker would silently re-root).
 */
export function entryPath(name: string): string {
  if (name.startsWith("/")) throw unsafeEntry(name, "absolute path");
  const rel = cleanPath(name);
  if (rel === ".." || rel.startsWith("../")) throw unsafeEntry(name, "path climbs out of the layer with ..");
  return rel;
}

/** The layer-relative target of a hard link: it must name a path inside the layer. */
export function hardlinkTarget(name: string, linkname: string): string {
  if (linkname === "") throw unsafeEntry(name, "hard link without a target");
  // Docker joins the link name under the layer root, so an absolute target is re-rooted; a
  // target that still climbs out after cleaning is a breakout.
  const rel = cleanPath(linkname.startsWith("/") ? linkname.slice(1) : linkname);
  if (rel === ".." || rel.startsWith("../")) throw unsafeEntry(name, `hard link to ${JSON.stringify(linkname)} outside the layer`);
  if (rel === ".") throw unsafeEntry(name, "hard link to the layer root");
  return rel;
}

/**
 * Docker's symlink check: a relative target, resolved from the link's directory, must stay in
 * the layer (absolute targets are resolved in the container's root, so they always do).
 */
export function checkSymlinkTarget(name: string, rel: string, linkname: string): void {
  if (linkname.startsWith("/")) return;
  const resolved = cleanPath(`${dirname(rel)}/${linkname}`);
  if (resolved === ".." || resolved.startsWith("../")) {
    throw unsafeEntry(name, `symlink to ${JSON.stringify(linkname)} points outside the layer`);
  }
}

/** What a whiteout entry deletes, or why it is refused: `.wh.` + a plain name only. */
export function whiteoutTarget(name: string, rel: string): string {
  const hidden = basename(rel).slice(WHITEOUT_PREFIX.length);
  if (hidden === "" || hidden === "." || hidden === ".." || hidden.includes("/")) {
    throw unsafeEntry(name, `whiteout names ${JSON.stringify(hidden)}, not a file in its directory`);
  }
  const dir = dirname(rel);
  return dir === "." ? hidden : `${dir}/${hidden}`;
}
