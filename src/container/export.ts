/**
 * Flattened root filesystems as tars. `docker export` (moby daemon/export.go): the container's
 * rootfs mounted, archived with archive.Tar (Docker's header conventions, a sorted walk, the
 * root itself left out), unmounted when the tar ends. `wharf image export` does the same for an
 * image: its top layer mounted read-only through the driver, so whiteouts and opaque
 * directories are already applied.
 */
import type { FilesPort } from "../ports.ts";
import { WharfError } from "../errors.ts";
import { TarAppender } from "../archive/diff-tar.ts";
import { joinPath } from "../archive/path.ts";
import { writeTar, type TarEntry } from "../tar/writer.ts";
import { resolveImage } from "../images/lookup.ts";
import type { Store } from "../store/root.ts";

/** Every node under `dir` (not `dir` itself), depth first in sorted order, as Go's filepath.Walk visits them. */
export async function* rootfsEntries(files: FilesPort, dir: string): AsyncGenerator<TarEntry> {
  const appender = new TarAppender(files, dir);
  async function* walk(rel: string): AsyncGenerator<TarEntry> {
    for (const name of (await files.readdir(joinPath(dir, rel))).sort()) {
      const childRel = rel === "" ? name : `${rel}/${name}`;
      const abs = joinPath(dir, childRel);
      const info = await files.lstat(abs);
      if (!info) continue; // removed while walking
      const header = await appender.header(abs, childRel, info);
      if (header) yield appender.entry(abs, header);
      if (info.kind === "dir") yield* walk(childRel);
    }
  }
  yield* walk("");
}

/** A tar of `dir` that calls `release` once it ends, fails or is cancelled. */
function tarThenRelease(files: FilesPort, dir: string, release: () => Promise<void>): ReadableStream<Uint8Array> {
  async function* entries(): AsyncGenerator<TarEntry> {
    try {
      yield* rootfsEntries(files, dir);
    } finally {
      await release();
    }
  }
  return writeTar(entries());
}

function filesOf(store: Pick<Store, "layers">): FilesPort {
  const files = store.layers.runtime.files;
  if (!files) throw new WharfError("UNSUPPORTED", "this runtime has no file system");
  return files;
}

/** `docker export`: mounted now (so a bad ID fails before any output), unmounted when the tar ends. */
export async function exportContainer(store: Pick<Store, "containers" | "layers">, idOrName: string): Promise<ReadableStream<Uint8Array>> {
  const container = store.containers.get(idOrName);
  const rwLayer = store.layers.getRWLayer(container.id);
  if (!rwLayer) throw new WharfError("NOT_FOUND", `container ${container.id} has no read-write layer`);
  const rootfs = await rwLayer.mount();
  return tarThenRelease(filesOf(store), rootfs, () => rwLayer.unmount());
}

/** `wharf image export`: the image's layers applied in order, as one tar (empty for an image without layers). */
export async function exportImage(store: Pick<Store, "images" | "layers" | "references" | "driver">, refOrID: string): Promise<ReadableStream<Uint8Array>> {
  const id = resolveImage(store, refOrID);
  const top = store.images.topLayer(id);
  if (!top) return writeTar([]);
  const rootfs = await store.driver.get(top.cacheID);
  return tarThenRelease(filesOf(store), rootfs, () => store.driver.put(top.cacheID));
}
