/**
 * What `docker load` will do, worked out before anything is written: every image's raw config,
 * its layers' archive paths and chainIDs, and its tags — from `manifest.json` (Docker's save,
 * legacy or ≥ 25) or, without one, from an OCI image layout's `index.json`. Any bad input fails
 * here, with one line, while the store is still untouched.
 */
import type { DigesterFactory } from "../ports.ts";
import { chainIDs, digestOf } from "../hash/digest.ts";
import { parseImageConfig } from "../image/config.ts";
import type { ImageConfig } from "../image/image.ts";
import type { ChainID } from "../layer/layer.ts";
import { parseNormalizedNamed, type Reference } from "../reference/reference.ts";
import { archiveError, readMember, type ArchiveSource } from "./archive.ts";
import {
  ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME, MEDIA_TYPE_DOCKER_LIST, MEDIA_TYPE_OCI_INDEX, parseImageManifest, parseIndex,
  parseManifestJSON, type Descriptor,
} from "./manifest.ts";
import { WharfError } from "../errors.ts";

export interface PlannedImage {
  rawConfig: Uint8Array;
  config: ImageConfig;
  /** Archive paths of the layer files, bottom first. */
  layerPaths: string[];
  chain: ChainID[];
  tags: Reference[];
  /** `Parent` of the manifest.json entry (an image ID), when given. */
  parent?: string;
}

export interface Platform {
  os: string;
  architecture: string;
}

const MAX_INDEX_DEPTH = 8;

export async function planLoad(archive: ArchiveSource, digests: DigesterFactory, platform: Platform): Promise<PlannedImage[]> {
  if (await archive.exists("manifest.json")) return planFromManifestJSON(archive, digests);
  if (await archive.exists("index.json")) return planFromIndex(archive, digests, platform);
  throw archiveError(`invalid archive: ${archive.label} holds neither manifest.json nor an OCI index.json`);
}

function parseConfig(raw: Uint8Array, what: string): ImageConfig {
  try {
    return parseImageConfig(raw, what);
  } catch (e) {
    if (e instanceof WharfError && e.code === "INVALID_ARGUMENT") throw archiveError(`invalid archive: ${e.message}`);
    throw e;
  }
}

function checkLayerCount(config: ImageConfig, layers: number): void {
  const expected = config.rootfs.diff_ids.length;
  if (layers !== expected) throw archiveError(`invalid manifest, layers length mismatch: expected ${layers}, got ${expected}`);
}

/** A RepoTag must name a tag (moby: `invalid tag "x"`). */
function parseRepoTag(text: string): Reference {
  let ref: Reference;
  try {
    ref = parseNormalizedNamed(text);
  } catch (e) {
    throw archiveError(`invalid tag ${JSON.stringify(text)}: ${(e as Error).message}`);
  }
  if (ref.tag === undefined || ref.digest !== undefined) throw archiveError(`invalid tag ${JSON.stringify(text)}`);
  return ref;
}

async function planFromManifestJSON(archive: ArchiveSource, digests: DigesterFactory): Promise<PlannedImage[]> {
  const items = parseManifestJSON(await readMember(archive, "manifest.json", "manifest.json"));
  const plans: PlannedImage[] = [];
  for (const [i, item] of items.entries()) {
    const rawConfig = await readMember(archive, item.Config, `config of manifest.json entry ${i}`);
    const config = parseConfig(rawConfig, `config ${item.Config}`);
    checkLayerCount(config, item.Layers.length);
    plans.push({
      rawConfig,
      config,
      layerPaths: item.Layers,
      chain: chainIDs(digests, config.rootfs.diff_ids),
      tags: (item.RepoTags ?? []).map(parseRepoTag),
      parent: item.Parent,
    });
  }
  return plans;
}

function blobPath(d: Descriptor): string {
  return `blobs/sha256/${d.digest.slice("sha256:".length)}`;
}

/** A blob read whole and checked against its descriptor's digest. */
async function readBlob(archive: ArchiveSource, d: Descriptor, what: string, digests: DigesterFactory): Promise<Uint8Array> {
  const bytes = await readMember(archive, blobPath(d), what);
  const actual = digestOf(digests, bytes);
  if (actual !== d.digest) throw archiveError(`invalid archive: ${what} ${blobPath(d)} has digest ${actual}, expected ${d.digest}`);
  return bytes;
}

const isIndex = (d: Descriptor): boolean => d.mediaType === MEDIA_TYPE_OCI_INDEX || d.mediaType === MEDIA_TYPE_DOCKER_LIST;

/** The image manifests an index names, nested indexes narrowed to `platform`; with the tags of the outermost descriptor. */
async function collectManifests(
  archive: ArchiveSource, digests: DigesterFactory, manifests: Descriptor[], platform: Platform, depth: number, tagFrom: Descriptor | undefined,
): Promise<Array<{ manifest: Descriptor; tagFrom: Descriptor }>> {
  if (depth > MAX_INDEX_DEPTH) throw archiveError("invalid archive: image indexes nested too deeply");
  const out: Array<{ manifest: Descriptor; tagFrom: Descriptor }> = [];
  const nested = depth > 0;
  const candidates = nested
    ? manifests.filter((d) => !d.platform || (d.platform.os === platform.os && d.platform.architecture === platform.architecture))
    : manifests;
  if (nested && candidates.length === 0) throw archiveError(`invalid archive: no image for ${platform.os}/${platform.architecture} in the index`);
  for (const d of nested ? candidates.slice(0, 1) : candidates) {
    if (isIndex(d)) {
      const inner = parseIndex(await readBlob(archive, d, "image index", digests), blobPath(d));
      out.push(...(await collectManifests(archive, digests, inner.manifests, platform, depth + 1, tagFrom ?? d)));
    } else {
      out.push({ manifest: d, tagFrom: tagFrom ?? d });
    }
  }
  return out;
}

/** Tags from an index descriptor: containerd's full name, else a ref name that is itself `name:tag`. */
function tagsOf(d: Descriptor): Reference[] {
  const candidates = [d.annotations?.[ANNOTATION_IMAGE_NAME], d.annotations?.[ANNOTATION_REF_NAME]];
  for (const text of candidates) {
    if (!text) continue;
    try {
      const ref = parseNormalizedNamed(text);
      if (ref.tag !== undefined && ref.digest === undefined) return [ref];
    } catch {
      // a bare tag ("latest") names no repository: the image loads untagged
    }
  }
  return [];
}

async function planFromIndex(archive: ArchiveSource, digests: DigesterFactory, platform: Platform): Promise<PlannedImage[]> {
  const index = parseIndex(await readMember(archive, "index.json", "index.json"), "index.json");
  const found = await collectManifests(archive, digests, index.manifests, platform, 0, undefined);
  const plans: PlannedImage[] = [];
  const byConfig = new Map<string, PlannedImage>();
  for (const { manifest, tagFrom } of found) {
    const parsed = parseImageManifest(await readBlob(archive, manifest, "image manifest", digests), blobPath(manifest));
    const tags = tagsOf(tagFrom);
    const known = byConfig.get(parsed.config.digest);
    if (known) {
      // One image under several names: one load, every tag.
      for (const t of tags) if (!known.tags.some((k) => k.toString() === t.toString())) known.tags.push(t);
      continue;
    }
    const rawConfig = await readBlob(archive, parsed.config, "image config", digests);
    const config = parseConfig(rawConfig, `config ${blobPath(parsed.config)}`);
    checkLayerCount(config, parsed.layers.length);
    const plan: PlannedImage = {
      rawConfig,
      config,
      layerPaths: parsed.layers.map(blobPath),
      chain: chainIDs(digests, config.rootfs.diff_ids),
      tags,
    };
    byConfig.set(parsed.config.digest, plan);
    plans.push(plan);
  }
  return plans;
}
