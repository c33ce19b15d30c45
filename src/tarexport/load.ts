/**
 * `docker load` (moby `image/tarexport/load.go`) into a wharf store. The whole plan — configs,
 * layer counts, tags — is read and checked first; then every missing layer is registered
 * (existing chainIDs reused unopened, each layer decompressed by its magic bytes and checked
 * against its diffID), the images created and, last, the tags moved. A failure before the tags
 * releases every layer this load took, so the store is left as it was.
 *
 * Input: a file is read in place — its tar is indexed once and members are then read by
 * position, a layer streaming straight from the archive into registration. A stream (stdin),
 * or a compressed archive, cannot be read by position: it is decompressed and spooled once to a
 * temporary file under `<root>/tmp/`, then read the same way, and the spool removed. A directory
 * is an OCI image layout.
 */
import type { Runtime } from "../ports.ts";
import { WharfError } from "../errors.ts";
import { decompress, detectCompression, MAGIC_PEEK_SIZE } from "../compress/index.ts";
import { prependSource, type ByteInput, type ByteSource } from "../io/source.ts";
import { fileReadable, writeStreamTo } from "../io/file-stream.ts";
import type { ImageID } from "../image/image.ts";
import type { Layer } from "../layer/layer.ts";
import type { Store } from "../store/root.ts";
import { DirectoryArchive, TarFileArchive, type ArchiveSource, type MemberSource } from "./archive.ts";
import { planLoad, type PlannedImage, type Platform } from "./load-plan.ts";
import { WORKER_WORTH_BYTES, workerClient } from "../worker/client.ts";

export type LoadInput = { path: string } | { stream: ReadableStream<Uint8Array>; label?: string };

export interface LoadOptions {
  runtime: Runtime;
  /** Called as layer bytes are read from the archive: (bytes so far, bytes of all layers to read). */
  onProgress?: (done: number, total: number) => void;
  /** Layers applied at once where the driver allows it. */
  concurrency?: number;
  /** The image picked from a multi-platform OCI index (default linux/amd64). */
  platform?: Platform;
}

export interface LoadedImage {
  id: ImageID;
  /** Familiar `name:tag` strings, in archive order. */
  tags: string[];
  layersRegistered: number;
  layersReused: number;
}

export interface LoadResult {
  images: LoadedImage[];
  /** What `docker load` prints, one line each, in order. */
  messages: string[];
}

type LoadStores = Pick<Store, "root" | "layers" | "images" | "references">;

export async function loadImages(store: LoadStores, input: LoadInput, options: LoadOptions): Promise<LoadResult> {
  const { archive, cleanup } = await openArchive(store.root, input, options.runtime);
  // A large archive will create its many small files on the worker: start it while the plan is read.
  if ("path" in input && ((await options.runtime.files!.stat(input.path))?.size ?? 0) >= WORKER_WORTH_BYTES) void workerClient(options.runtime.workers);
  try {
    const plans = await planLoad(archive, options.runtime.digests, options.platform ?? { os: "linux", architecture: "amd64" });
    return await apply(store, archive, plans, options);
  } finally {
    await archive.close();
    await cleanup();
  }
}

async function openArchive(root: string, input: LoadInput, rt: Runtime): Promise<{ archive: ArchiveSource; cleanup: () => Promise<void> }> {
  const files = rt.files;
  if (!files) throw new WharfError("UNSUPPORTED", `the ${rt.name} runtime has no file system to load into`);
  const none = async () => {};
  if ("path" in input) {
    const info = await files.stat(input.path);
    if (!info) throw new WharfError("NOT_FOUND", `open ${input.path}: no such file or directory`);
    if (info.kind === "dir") return { archive: new DirectoryArchive(files, input.path), cleanup: none };
    const handle = await files.open(input.path, "r");
    const head = new Uint8Array(MAGIC_PEEK_SIZE);
    let n: number;
    try {
      n = await handle.read(head, 0);
    } finally {
      await handle.close();
    }
    if (detectCompression(head.subarray(0, n)) === "none") return { archive: await TarFileArchive.index(files, input.path), cleanup: none };
    const compressed = await files.open(input.path, "r");
    return spool(root, fileReadable(compressed), input.path, rt);
  }
  return spool(root, input.stream, input.label ?? "stdin", rt);
}

/** Decompresses `stream` into `<root>/tmp/load-<random>.tar` and indexes it; cleanup removes the spool. */
async function spool(root: string, stream: ReadableStream<Uint8Array>, label: string, rt: Runtime): Promise<{ archive: ArchiveSource; cleanup: () => Promise<void> }> {
  const files = rt.files!;
  const dir = `${root}/tmp`;
  await files.mkdir(dir, { recursive: true, mode: 0o700 });
  const suffix = Array.from(rt.random.bytes(8), (b) => b.toString(16).padStart(2, "0")).join("");
  const path = `${dir}/load-${suffix}.tar`;
  const cleanup = () => files.remove(path).catch(() => {});
  try {
    const { stream: plain } = await decompress(stream, rt.compression);
    const handle = await files.open(path, "wx", 0o600);
    try {
      await writeStreamTo(handle, plain);
    } finally {
      await handle.close();
    }
    return { archive: await TarFileArchive.index(files, path, label), cleanup };
  } catch (e) {
    await cleanup();
    if (e instanceof WharfError && e.code === "COMPRESSION") throw new WharfError("COMPRESSION", `${label}: ${e.message}`, { cause: e });
    throw e;
  }
}

async function apply(store: LoadStores, archive: ArchiveSource, plans: PlannedImage[], options: LoadOptions): Promise<LoadResult> {
  const rt = options.runtime;
  // Bytes of the layers that will be read (present chainIDs are not), for the progress bar.
  let total = 0;
  for (const plan of plans) {
    for (const [i, chainID] of plan.chain.entries()) {
      if (store.layers.has(chainID)) continue;
      const member = await archive.open(plan.layerPaths[i]!, `layer ${i}`);
      total += member.size;
      await member.close();
    }
  }
  let done = 0;
  const progress = (n: number) => {
    done += n;
    options.onProgress?.(done, total);
  };

  const held: Layer[] = [];
  const counts: Array<{ registered: number; reused: number }> = [];
  const imagesBefore = new Set(store.images.list());
  const created: ImageID[] = [];
  try {
    for (const plan of plans) {
      const result = await store.layers.registerChain(
        plan.config.rootfs.diff_ids.map((diffID, i) => ({ diffID, open: () => openLayer(archive, plan.layerPaths[i]!, i, rt, progress) })),
        undefined,
        { concurrency: options.concurrency },
      );
      if (result.top) held.push(result.top);
      counts.push({ registered: result.registered, reused: result.reused });
    }
    for (const plan of plans) {
      const id = await store.images.create(plan.rawConfig);
      if (!imagesBefore.has(id) && !created.includes(id)) created.push(id);
    }
  } catch (e) {
    for (const id of created) await store.images.delete(id).catch(() => {});
    throw e;
  } finally {
    for (const layer of held) await store.layers.release(layer).catch(() => {});
  }

  const ids = plans.map((plan) => digestID(rt, plan.rawConfig));
  await linkParents(store, plans, ids);
  const messages: string[] = [];
  const images: LoadedImage[] = [];
  let idLines = "";
  let tagCount = 0;
  for (const [k, plan] of plans.entries()) {
    const id = ids[k]!;
    idLines += `Loaded image ID: ${id}\n`;
    tagCount = 0; // moby resets this per image: the ID lines print when the last image has no tags
    const tags: string[] = [];
    for (const ref of plan.tags) {
      let previous: ImageID | undefined;
      try {
        previous = store.references.get(ref);
      } catch {
        previous = undefined;
      }
      if (previous !== undefined && previous !== id) {
        messages.push(`The image ${ref.familiarString()} already exists, renaming the old one with ID ${previous} to empty string`);
      }
      await store.references.addTag(ref, id, true);
      messages.push(`Loaded image: ${ref.familiarString()}`);
      tags.push(ref.familiarString());
      tagCount++;
    }
    images.push({ id, tags, layersRegistered: counts[k]!.registered, layersReused: counts[k]!.reused });
  }
  if (tagCount === 0) messages.push(...idLines.trimEnd().split("\n"));
  return { images, messages };
}

function digestID(rt: Runtime, raw: Uint8Array): ImageID {
  const d = rt.digests.sha256();
  d.update(raw);
  return `sha256:${d.hex()}`;
}

/** moby `validatedParentLinks` + `setParentID`: a Parent counts only when it is in this archive and a true ancestor. */
async function linkParents(store: LoadStores, plans: PlannedImage[], ids: ImageID[]): Promise<void> {
  for (const [k, plan] of plans.entries()) {
    const parent = plan.parent;
    if (!parent || parent === ids[k] || !ids.includes(parent as ImageID)) continue;
    const parentPlan = plans[ids.indexOf(parent as ImageID)]!;
    const mine = plan.config.rootfs.diff_ids;
    const theirs = parentPlan.config.rootfs.diff_ids;
    const valid = theirs.length <= mine.length && theirs.every((d, i) => d === mine[i]);
    if (!valid) throw new WharfError("INVALID_ARCHIVE", `image ${parent} is not a valid parent for ${ids[k]}`);
    await store.images.setParent(ids[k]!, parent as ImageID);
  }
}

/** A layer member, decompressed by its magic bytes, counting compressed bytes for progress. */
async function openLayer(archive: ArchiveSource, path: string, index: number, rt: Runtime, progress: (n: number) => void): Promise<ByteInput> {
  const member = await archive.open(path, `layer ${index}`);
  const counted = countingSource(member, progress);
  const head = new Uint8Array(MAGIC_PEEK_SIZE);
  let headLength = 0;
  while (headLength < head.length) {
    const n = await counted.read(head.subarray(headLength));
    if (n === 0) break;
    headLength += n;
  }
  const replay = replaying(head.subarray(0, headLength), counted, member);
  if (detectCompression(head.subarray(0, headLength)) === "none") return replay;
  const compressed = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const buffer = new Uint8Array(1 << 20);
      const n = await replay.read(buffer);
      if (n === 0) {
        await member.close();
        controller.close();
      } else {
        controller.enqueue(buffer.subarray(0, n));
      }
    },
    cancel: () => member.close(),
  }, { highWaterMark: 0 });
  return (await decompress(compressed, rt.compression)).stream;
}

function countingSource(member: MemberSource, progress: (n: number) => void): ByteSource {
  return {
    async read(into) {
      const n = await member.read(into);
      if (n > 0) progress(n);
      return n;
    },
  };
}

/** Serves `head` again, then the rest; `close` closes the member (registerChain calls it). */
function replaying(head: Uint8Array, rest: ByteSource, member: MemberSource): ByteSource & { close(): Promise<void> } {
  return { ...prependSource(head, rest), close: () => member.close() };
}
