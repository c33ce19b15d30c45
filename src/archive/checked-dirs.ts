/**
 * The directories of a layer being extracted that are known to be real directories inside it
 * (never a symlink), so an entry's parents are looked at once, not per entry. Extraction refuses
 * to write through a symlink: Docker has a chroot for that, wharf has none.
 */
import type { BlockingFileOps } from "../ports.ts";
import { joinPath, unsafeEntry } from "./path.ts";

export class CheckedDirs {
  private readonly known = new Set<string>(["."]);

  constructor(private readonly root: string, private readonly meta: BlockingFileOps) {}

  has(rel: string): boolean {
    return this.known.has(rel);
  }

  /** `rel` was made as a directory by the extraction itself. */
  add(rel: string): void {
    this.known.add(rel);
  }

  /** `rel` was removed: it and everything under it must be looked at again. */
  forget(rel: string): void {
    for (const known of this.known) {
      if (known === rel || known.startsWith(`${rel}/`)) this.known.delete(known);
    }
  }

  /**
   * Every component of `dir` must be a real directory inside the layer, never a symlink (`name`:
   * the entry, for the error). Missing ones are created 0755 when `create` (Docker's MkdirAll of
   * an entry's parent).
   */
  async check(name: string, dir: string, create: boolean): Promise<void> {
    if (this.known.has(dir)) return;
    let rel = "";
    for (const part of dir.split("/")) {
      rel = rel === "" ? part : `${rel}/${part}`;
      if (this.known.has(rel)) continue;
      const path = joinPath(this.root, rel);
      const info = await this.meta.lstat(path);
      if (!info) {
        if (!create) throw unsafeEntry(name, `${JSON.stringify(rel)} does not exist in the layer`);
        await this.meta.mkdir(path, { mode: 0o755 });
        await this.meta.chmod(path, 0o755);
      } else if (info.kind === "symlink") {
        throw unsafeEntry(name, `${JSON.stringify(rel)} is a symlink; writing through it could leave the layer`);
      } else if (info.kind !== "dir") {
        throw unsafeEntry(name, `${JSON.stringify(rel)} is not a directory`);
      }
      this.known.add(rel);
    }
  }
}
