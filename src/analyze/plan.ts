/**
 * What an archive says about its images, before any layer is read: from `manifest.json` (Docker's
 * save, legacy or ≥ 25) or an OCI layout's `index.json` (every image it names, all platforms).
 * Lenient where `docker load` is strict: a problem is recorded in `errors` and the rest is kept.
 */
import type { DigesterFactory } from "../ports.ts";
import { digestOf } from "../hash/digest.ts";
import { readMember, type ArchiveSource } from "../tarexport/archive.ts";
import {
  ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME, MEDIA_TYPE_DOCKER_LIST, MEDIA_TYPE_OCI_INDEX, parseImageManifest, parseIndex,
  parseManifestJSON, type Descriptor,
} from "../tarexport/manifest.ts";

export interface PlannedLayer {
  /** Member path in the archive. */
  path: string;
  expectedStoredDigest?: string;
}

export interface PlannedImage {
  tags: string[];
  manifestRaw?: string;
  configRaw: Uint8Array;
  /** The ID the archive names (config file name or descriptor). */
  expectedID?: string;
  layers: PlannedLayer[];
}

const MAX_INDEX_DEPTH = 8;
const decoder = new TextDecoder();

export function message(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split("\n")[0] ?? text;
}

/** `<hex>.json` (legacy config) or `blobs/sha256/<hex>` (Docker ≥ 25, OCI) names its digest. */
export function digestInName(path: string): string | undefined {
  const m = /(?:^|\/)(?:blobs\/sha256\/)?([0-9a-f]{64})(?:\.json)?$/.exec(path);
  return m && (path.includes("blobs/sha256/") || path.endsWith(".json")) ? `sha256:${m[1]}` : undefined;
}

export async function planDockerSave(archive: ArchiveSource, errors: string[]): Promise<PlannedImage[]> {
  let items;
  try {
    items = parseManifestJSON(await readMember(archive, "manifest.json", "manifest.json"));
  } catch (e) {
    errors.push(message(e));
    return [];
  }
  const plans: PlannedImage[] = [];
  for (const [i, item] of items.entries()) {
    let configRaw: Uint8Array;
    try {
      configRaw = await readMember(archive, item.Config, `config of manifest.json entry ${i}`);
    } catch (e) {
      errors.push(message(e));
      continue;
    }
    const plan: PlannedImage = {
      tags: item.RepoTags ?? [],
      manifestRaw: JSON.stringify(item),
      configRaw,
      layers: item.Layers.map((path) => {
        const layer: PlannedLayer = { path };
        if (path.includes("blobs/sha256/")) layer.expectedStoredDigest = digestInName(path);
        return layer;
      }),
    };
    const expectedID = digestInName(item.Config);
    if (expectedID) plan.expectedID = expectedID;
    plans.push(plan);
  }
  return plans;
}

const blobPath = (d: Descriptor) => `blobs/sha256/${d.digest.slice("sha256:".length)}`;
const isIndex = (d: Descriptor) => d.mediaType === MEDIA_TYPE_OCI_INDEX || d.mediaType === MEDIA_TYPE_DOCKER_LIST;

/** A small blob read whole; a digest that does not match is recorded, and the bytes still used. */
async function readBlob(archive: ArchiveSource, d: Descriptor, what: string, digests: DigesterFactory, errors: string[]): Promise<Uint8Array> {
  const bytes = await readMember(archive, blobPath(d), what);
  const actual = digestOf(digests, bytes);
  if (actual !== d.digest) errors.push(`${what} ${blobPath(d)} has digest ${actual}, expected ${d.digest}`);
  return bytes;
}

function tagsOf(d: Descriptor | undefined): string[] {
  const name = d?.annotations?.[ANNOTATION_IMAGE_NAME] ?? d?.annotations?.[ANNOTATION_REF_NAME];
  return name ? [name] : [];
}

export async function planOCILayout(archive: ArchiveSource, digests: DigesterFactory, errors: string[]): Promise<PlannedImage[]> {
  const plans: PlannedImage[] = [];
  const byConfig = new Map<string, PlannedImage>();
  const visit = async (manifests: Descriptor[], depth: number, tagFrom: Descriptor | undefined): Promise<void> => {
    if (depth > MAX_INDEX_DEPTH) throw new Error("image indexes nested too deeply");
    for (const d of manifests) {
      try {
        if (isIndex(d)) {
          const inner = parseIndex(await readBlob(archive, d, "image index", digests, errors), blobPath(d));
          await visit(inner.manifests, depth + 1, tagFrom ?? d);
          continue;
        }
        const raw = await readBlob(archive, d, "image manifest", digests, errors);
        const manifest = parseImageManifest(raw, blobPath(d));
        const tags = tagsOf(tagFrom ?? d);
        const known = byConfig.get(manifest.config.digest);
        if (known) {
          for (const t of tags) if (!known.tags.includes(t)) known.tags.push(t);
          continue;
        }
        const plan: PlannedImage = {
          tags,
          manifestRaw: decoder.decode(raw),
          configRaw: await readMember(archive, blobPath(manifest.config), "image config"),
          expectedID: manifest.config.digest,
          layers: manifest.layers.map((l) => ({ path: blobPath(l), expectedStoredDigest: l.digest })),
        };
        byConfig.set(manifest.config.digest, plan);
        plans.push(plan);
      } catch (e) {
        errors.push(message(e));
      }
    }
  };
  try {
    const index = parseIndex(await readMember(archive, "index.json", "index.json"), "index.json");
    await visit(index.manifests, 0, undefined);
  } catch (e) {
    errors.push(message(e));
  }
  return plans;
}
