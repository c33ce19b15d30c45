/** What cleaning could change: an empty, "." or ".." element (a leading or trailing slash too). */
const UNCLEAN = /(^|\/)\.{0,2}(\/|$)/;

/** Go's `path.Clean`: lexical, `/`-separated; used wherever Docker cleans tar names or link targets. */
export function cleanPath(path: string): string {
  if (path !== "" && !UNCLEAN.test(path)) return path; // already clean: the common case
  const rooted = path.startsWith("/");
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop();
      else if (!rooted) parts.push("..");
      continue;
    }
    parts.push(part);
  }
  const cleaned = (rooted ? "/" : "") + parts.join("/");
  return cleaned === "" ? "." : cleaned;
}
