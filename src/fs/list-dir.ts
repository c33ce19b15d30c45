/**
 * A directory's entries with their lstat, for tree walks over many small files (layer diffs,
 * sizes): one port call per directory where the port offers `lstatDir`, else readdir and an
 * lstat per entry.
 */
import type { FileInfo, FilesPort } from "../ports.ts";

export interface DirEntry {
  name: string;
  info: FileInfo;
}

/** Entries of `dir` sorted by name (code units, as `Array.prototype.sort`); one gone before its lstat is left out. */
export async function listDir(files: FilesPort, dir: string): Promise<DirEntry[]> {
  if (files.lstatDir) return (await files.lstatDir(dir)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  const entries: DirEntry[] = [];
  for (const name of (await files.readdir(dir)).sort()) {
    const info = await files.lstat(prefix + name);
    if (info) entries.push({ name, info });
  }
  return entries;
}
