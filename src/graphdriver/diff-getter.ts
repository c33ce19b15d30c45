/**
 * File access by layer path for tar-split reassembly (moby `FileGetter`): regular files under
 * the layer directory only; names are cleaned and may not climb out or pass through symlinks.
 */
import { isWharfError } from "../errors.ts";
import type { FilesPort } from "../ports.ts";
import { fileReadable } from "../io/file-stream.ts";
import { entryPath, joinPath } from "../archive/path.ts";
import type { DiffGetter } from "./driver.ts";

export function layerFileGetter(files: FilesPort, dir: string, release: () => Promise<void>): DiffGetter {
  let closed = false;
  // The layer is committed (read-only): a directory found real once stays so for this getter.
  const realDirs = new Set<string>();
  return {
    async get(path: string) {
      let rel: string;
      try {
        rel = entryPath(path.startsWith("/") ? path.slice(1) : path);
      } catch (e) {
        if (isWharfError(e, "UNSAFE_PATH")) return null;
        throw e;
      }
      if (rel === ".") return null;
      // Every parent must be a real directory: a symlinked parent would read outside the layer.
      let at = dir;
      const parts = rel.split("/");
      for (let i = 0; i < parts.length - 1; i++) {
        at = joinPath(at, parts[i]!);
        if (realDirs.has(at)) continue;
        if ((await files.lstat(at))?.kind !== "dir") return null;
        realDirs.add(at);
      }
      const abs = joinPath(dir, rel);
      const info = await files.lstat(abs);
      if (info?.kind !== "file") return null;
      // Sized reads: a layer of many small files must not allocate a full chunk per read, per file.
      return fileReadable(await files.open(abs, "r"), undefined, info.size);
    },
    async close() {
      if (closed) return;
      closed = true;
      await release();
    },
  };
}
