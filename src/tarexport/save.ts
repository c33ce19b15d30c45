/**
 * `docker save` (moby `image/tarexport/save.go`) as a stream. Docker writes a temp directory and
 * tars it; wharf lays out the same tree virtually and writes it straight out with the tar writer,
 * in the walk order, modes, owners and times Docker's tar of that directory has, so the legacy
 * form is byte-identical to Docker 20.10's. Layer tars come from `layer.tarStream()` (tar-split
 * plus files); their lengths, needed in the headers before the bytes, are summed from tar-split.
 *
 * Deviation: a repeated layer's directory (whose `layer.tar` is a symlink) carries the image's
 * created time here; Docker leaves it at the time of the save.
 */
import type { Runtime } from "../ports.ts";
import { WharfError } from "../errors.ts";
import { chainIDs, digestHex, digestOf, type Digest } from "../hash/digest.ts";
import type { ImageID, StoredImage } from "../image/image.ts";
import type { Layer } from "../layer/layer.ts";
import type { Store } from "../store/root.ts";
import { TypeFlag, writeTar, type TarEntry } from "../tar/writer.ts";
import { ReadAheadSequence } from "../io/read-ahead.ts";
import { isFullIdentifier, parseNormalizedNamed, tagNameOnly, type Reference } from "../reference/reference.ts";
import { chtimesSeconds, compareUtf8 } from "../format/go-json.ts";
import { v1ImageFromConfig, v1Layers } from "./v1.ts";
import {
  ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME, MEDIA_TYPE_OCI_CONFIG, MEDIA_TYPE_OCI_LAYER, MEDIA_TYPE_OCI_MANIFEST, imageManifestJSON,
  indexJSON, manifestJSON, repositoriesJSON, type Descriptor, type ManifestItem,
} from "./manifest.ts";

export interface SaveOptions {
  runtime: Runtime;
  /** "legacy" (Docker ≤ 24, the default) or "oci" (Docker ≥ 25: OCI layout plus manifest.json). */
  format?: "legacy" | "oci";
}

type SaveStores = Pick<Store, "layers" | "images" | "references">;

interface ImageToSave {
  image: StoredImage;
  /** Tagged references, in the order asked for. */
  refs: Reference[];
}

/** A file of the virtual directory Docker would tar. */
interface TreeEntry {
  path: string;
  kind: "dir" | "file" | "symlink";
  mtime: number;
  /** A layer tar's length may still be on its way: awaited when the archive reaches its header. */
  size?: number | Promise<number>;
  /** Bytes, or a layer's tar, opened when the archive reaches it. */
  body?: Uint8Array | (() => ReadableStream<Uint8Array>);
  linkname?: string;
}

const encoder = new TextEncoder();
/** How far the next layer's tar may run ahead of the one being written. */
const READ_AHEAD_BYTES = 32 << 20;

/** moby `parseNames`: IDs, ID prefixes, `name` (every tag of it), `name:tag`. */
async function resolveImages(store: SaveStores, names: readonly string[]): Promise<ImageToSave[]> {
  const out: ImageToSave[] = [];
  const add = async (id: ImageID, ref: Reference | undefined) => {
    let entry = out.find((e) => e.image.id === id);
    if (!entry) {
      entry = { image: await store.images.get(id), refs: [] };
      out.push(entry);
    }
    if (ref && ref.digest === undefined) {
      const tagged = tagNameOnly(ref);
      if (!entry.refs.some((r) => r.toString() === tagged.toString())) entry.refs.push(tagged);
    }
  };
  for (const name of names) {
    if (isFullIdentifier(name) || /^sha256:[0-9a-f]{64}$/.test(name)) {
      await add(store.images.search(name), undefined);
      continue;
    }
    const ref = parseNormalizedNamed(name);
    if (ref.familiarName() === "sha256") {
      await add(store.images.search(name), undefined);
    } else if (ref.isNameOnly()) {
      const assocs = store.references.referencesByName(ref);
      for (const a of assocs) await add(a.id, a.ref);
      if (assocs.length === 0) await add(store.images.search(name), undefined);
    } else {
      await add(store.references.get(ref), ref);
    }
  }
  return out;
}

/** A layer's tar length, by layer: computed once, and side by side for all the layers started. */
type LayerSizes = (layer: Layer) => Promise<number>;

function layerSizes(): LayerSizes {
  const started = new Map<string, Promise<number>>();
  return (layer) => {
    let size = started.get(layer.chainID);
    if (!size) {
      size = layer.tarLength();
      size.catch(() => {}); // raised where it is awaited, in layer order
      started.set(layer.chainID, size);
    }
    return size;
  };
}

/** Go's filepath.Walk order: names sorted within each directory, a directory before its content. */
function walkOrder(a: TreeEntry, b: TreeEntry): number {
  const x = a.path.split("/");
  const y = b.path.split("/");
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return compareUtf8(x[i]!, y[i]!);
  }
  return x.length - y.length;
}

/** The tar of one or more images, pulled as the consumer reads; layers are referenced until it ends. */
export async function saveImages(store: SaveStores, names: readonly string[], options: SaveOptions): Promise<ReadableStream<Uint8Array>> {
  const rt = options.runtime;
  if (names.length === 0) throw new WharfError("USAGE", "save needs at least one image");
  const images = await resolveImages(store, names);
  const held: Layer[] = [];
  const releaseAll = async () => {
    for (const layer of held.splice(0)) await store.layers.release(layer).catch(() => {});
  };
  let entries: TreeEntry[];
  try {
    const layers = new Map<string, Layer>();
    const layerOf = (chainID: Digest): Layer => {
      let layer = layers.get(chainID);
      if (layer) return layer;
      layer = store.layers.get(chainID);
      if (!layer) throw new WharfError("NOT_FOUND", `layer ${chainID} of the image is missing from the store`);
      held.push(layer);
      layers.set(chainID, layer);
      return layer;
    };
    // Each layer's length takes a pass over its tar-split: all of them at once, not one by one.
    const sizeOf = layerSizes();
    for (const { image } of images) for (const chainID of chainIDs(rt.digests, image.config.rootfs.diff_ids)) void sizeOf(layerOf(chainID));
    entries = options.format === "oci" ? await ociTree(store, rt, images, layerOf, sizeOf) : await legacyTree(store, rt, images, layerOf, sizeOf);
  } catch (e) {
    await releaseAll();
    throw e;
  }
  entries.sort(walkOrder);
  const layerTars = new ReadAheadSequence(entries.flatMap((e) => (typeof e.body === "function" ? [e.body] : [])), READ_AHEAD_BYTES);
  const tar = writeTar(tarEntries(entries, layerTars));
  const reader = tar.getReader();
  const stopAll = async (reason?: unknown) => {
    await layerTars.cancel(reason);
    await releaseAll();
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          await stopAll();
          controller.close();
        } else {
          controller.enqueue(value);
        }
      } catch (e) {
        await stopAll(e);
        throw e;
      }
    },
    async cancel(reason) {
      await reader.cancel(reason).catch(() => {});
      await stopAll(reason);
    },
  }, { highWaterMark: 0 });
}

/**
 * Headers as Go's tar.FileInfoHeader gives them for Docker's temp files: root-owned, type bits
 * in the mode. A layer's tar is the `tarIndex`-th of `layerTars`, opened when the writer reaches it.
 */
function toTarEntry(e: TreeEntry, size: number, layerTars: ReadAheadSequence, tarIndex: number): TarEntry {
  const common = { uid: 0, gid: 0, uname: "root", gname: "root", mtime: e.mtime };
  if (e.kind === "dir") return { header: { ...common, name: `${e.path}/`, typeflag: TypeFlag.dir, mode: 0o40755, size: 0 } };
  if (e.kind === "symlink") return { header: { ...common, name: e.path, typeflag: TypeFlag.symlink, mode: 0o120777, size: 0, linkname: e.linkname } };
  return { header: { ...common, name: e.path, typeflag: TypeFlag.reg, mode: 0o100644, size }, body: typeof e.body === "function" ? async () => layerTars.open(tarIndex) : e.body! };
}

/** The archive's entries in order, each layer's header once its length is known. */
async function* tarEntries(entries: TreeEntry[], layerTars: ReadAheadSequence): AsyncGenerator<TarEntry> {
  let nextTar = 0;
  for (const e of entries) yield toTarEntry(e, (await e.size) ?? 0, layerTars, typeof e.body === "function" ? nextTar++ : -1);
}

function bytesEntry(path: string, data: string | Uint8Array, mtime: number): TreeEntry {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  return { path, kind: "file", mtime, size: bytes.length, body: bytes };
}

function createdSeconds(image: StoredImage): number {
  return chtimesSeconds(v1ImageFromConfig(image.config as Record<string, unknown>).created);
}

async function legacyTree(store: SaveStores, rt: Runtime, images: ImageToSave[], layerOf: (c: Digest) => Layer, sizeOf: LayerSizes): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = [];
  const savedV1 = new Set<string>();
  const diffIDPaths = new Map<string, string>();
  const manifest: ManifestItem[] = [];
  const repos = new Map<string, Map<string, string>>();
  for (const { image, refs } of images) {
    const diffIDs = image.config.rootfs.diff_ids;
    if (diffIDs.length === 0) throw new WharfError("UNSUPPORTED", "empty export - not implemented");
    const created = createdSeconds(image);
    const chain = chainIDs(rt.digests, diffIDs);
    const v1 = v1Layers(rt.digests, image.config as Record<string, unknown>, chain, image.config.os ?? "");
    for (const [i, { id, json }] of v1.entries()) {
      if (savedV1.has(id)) continue;
      savedV1.add(id);
      const layer = layerOf(chain[i]!);
      entries.push({ path: id, kind: "dir", mtime: created }, bytesEntry(`${id}/VERSION`, "1.0", created), bytesEntry(`${id}/json`, json, created));
      const first = diffIDPaths.get(diffIDs[i]!);
      if (first !== undefined) {
        entries.push({ path: `${id}/layer.tar`, kind: "symlink", mtime: created, linkname: `../${first}` });
      } else {
        // Lengths still being computed stay promises: the first layer streams while later ones are measured.
        entries.push({ path: `${id}/layer.tar`, kind: "file", mtime: created, size: sizeOf(layer), body: () => layer.tarStream() });
        diffIDPaths.set(diffIDs[i]!, `${id}/layer.tar`);
      }
    }
    entries.push(bytesEntry(`${digestHex(image.id)}.json`, image.rawConfig, created));
    const top = v1[v1.length - 1]!.id;
    for (const ref of refs) {
      const tags = repos.get(ref.familiarName()) ?? new Map<string, string>();
      tags.set(ref.tag!, top);
      repos.set(ref.familiarName(), tags);
    }
    manifest.push({
      Config: `${digestHex(image.id)}.json`,
      RepoTags: refs.length > 0 ? refs.map((r) => r.familiarString()) : null,
      Layers: v1.map((l) => `${l.id}/layer.tar`),
    });
  }
  await addParents(store, images, manifest);
  if (repos.size > 0) entries.push(bytesEntry("repositories", repositoriesJSON(repos), 0));
  entries.push(bytesEntry("manifest.json", manifestJSON(manifest), 0));
  return entries;
}

/** moby `validatedParentLinks`: a parent is recorded only when it is saved too. */
async function addParents(store: SaveStores, images: ImageToSave[], manifest: ManifestItem[]): Promise<void> {
  const ids = new Set(images.map((i) => i.image.id));
  for (const [k, { image }] of images.entries()) {
    const parent = await store.images.getParent(image.id);
    if (parent !== undefined && parent !== image.id && ids.has(parent)) manifest[k]!.Parent = parent;
  }
}

async function ociTree(store: SaveStores, rt: Runtime, images: ImageToSave[], layerOf: (c: Digest) => Layer, sizeOf: LayerSizes): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = [{ path: "blobs", kind: "dir", mtime: 0 }, { path: "blobs/sha256", kind: "dir", mtime: 0 }];
  const blobs = new Set<string>();
  const addBlob = (digest: string, entry: () => TreeEntry) => {
    if (blobs.has(digest)) return;
    blobs.add(digest);
    entries.push(entry());
  };
  const savedLayers = new Map<string, Descriptor>();
  const manifest: ManifestItem[] = [];
  const index: Descriptor[] = [];
  const repos = new Map<string, Map<string, string>>();
  for (const { image, refs } of images) {
    const diffIDs = image.config.rootfs.diff_ids;
    if (diffIDs.length === 0) throw new WharfError("UNSUPPORTED", "empty export - not implemented");
    const created = createdSeconds(image);
    entries[0]!.mtime = created; // Docker stamps blobs/ with each layer's image time; the last wins
    const chain = chainIDs(rt.digests, diffIDs);
    const v1 = v1Layers(rt.digests, image.config as Record<string, unknown>, chain, image.config.os ?? "");
    const layerDescriptors: Descriptor[] = [];
    for (const [i, { json }] of v1.entries()) {
      const jsonDigest = digestOf(rt.digests, encoder.encode(json));
      addBlob(jsonDigest, () => bytesEntry(`blobs/sha256/${digestHex(jsonDigest)}`, json, created));
      const diffID = diffIDs[i]!;
      let desc = savedLayers.get(diffID);
      if (!desc) {
        const layer = layerOf(chain[i]!);
        const size = await sizeOf(layer);
        desc = { mediaType: MEDIA_TYPE_OCI_LAYER, digest: diffID, size };
        savedLayers.set(diffID, desc);
        addBlob(diffID, () => ({ path: `blobs/sha256/${digestHex(diffID)}`, kind: "file", mtime: created, size, body: () => layer.tarStream() }));
      }
      layerDescriptors.push(desc);
    }
    addBlob(image.id, () => bytesEntry(`blobs/sha256/${digestHex(image.id)}`, image.rawConfig, created));
    const manifestBytes = encoder.encode(imageManifestJSON({ mediaType: MEDIA_TYPE_OCI_CONFIG, digest: image.id, size: image.rawConfig.length }, layerDescriptors));
    const manifestDigest = digestOf(rt.digests, manifestBytes);
    addBlob(manifestDigest, () => bytesEntry(`blobs/sha256/${digestHex(manifestDigest)}`, manifestBytes, 0));
    const untagged: Descriptor = { mediaType: MEDIA_TYPE_OCI_MANIFEST, digest: manifestDigest, size: manifestBytes.length };
    for (const ref of refs) {
      const tags = repos.get(ref.familiarName()) ?? new Map<string, string>();
      tags.set(ref.tag!, digestHex(diffIDs[diffIDs.length - 1]!));
      repos.set(ref.familiarName(), tags);
      index.push({ ...untagged, annotations: { [ANNOTATION_IMAGE_NAME]: ref.toString(), [ANNOTATION_REF_NAME]: ref.tag! } });
    }
    if (refs.length === 0) index.push(untagged);
    manifest.push({
      Config: `blobs/sha256/${digestHex(image.id)}`,
      RepoTags: refs.length > 0 ? refs.map((r) => r.familiarString()) : null,
      Layers: diffIDs.map((d) => `blobs/sha256/${digestHex(d)}`),
      LayerSources: Object.fromEntries(diffIDs.map((d) => [d, savedLayers.get(d)!])),
    });
  }
  await addParents(store, images, manifest);
  entries.push(bytesEntry("oci-layout", `{"imageLayoutVersion": "1.0.0"}`, 0));
  entries.push(bytesEntry("index.json", indexJSON(index), 0));
  if (repos.size > 0) entries.push(bytesEntry("repositories", repositoriesJSON(repos), 0));
  entries.push(bytesEntry("manifest.json", manifestJSON(manifest), 0));
  return entries;
}
