/**
 * The JSON documents of image archives: `manifest.json` (moby `tarexport.manifestItem`), the
 * legacy `repositories`, and the OCI image layout's `index.json` and image manifests. Parsing
 * checks shape and names the file and field in its one-line error; encoding writes Go's bytes.
 */
import { archiveError } from "./archive.ts";
import { goMap, goQuote } from "../format/go-json.ts";

export const MEDIA_TYPE_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const MEDIA_TYPE_OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const MEDIA_TYPE_OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
export const MEDIA_TYPE_OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";
export const MEDIA_TYPE_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
export const MEDIA_TYPE_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
export const ANNOTATION_IMAGE_NAME = "io.containerd.image.name";
export const ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name";

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: { architecture?: string; os?: string; variant?: string };
}

export interface ManifestItem {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
  Parent?: string;
  LayerSources?: Record<string, Descriptor>;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

function parseJSON(bytes: Uint8Array, file: string): unknown {
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch (e) {
    throw archiveError(`invalid archive: ${file} is not valid JSON: ${(e as Error).message}`);
  }
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === "string");

function descriptor(v: unknown, what: string): Descriptor {
  const d = v as Partial<Descriptor> | null;
  if (d === null || typeof d !== "object" || typeof d.digest !== "string" || typeof d.size !== "number") {
    throw archiveError(`invalid archive: ${what} is not a descriptor with digest and size`);
  }
  if (!/^sha256:[0-9a-f]{64}$/.test(d.digest)) throw archiveError(`invalid archive: ${what} has unsupported digest ${JSON.stringify(d.digest)}`);
  return { ...d, mediaType: typeof d.mediaType === "string" ? d.mediaType : "" } as Descriptor;
}

export function parseManifestJSON(bytes: Uint8Array): ManifestItem[] {
  const value = parseJSON(bytes, "manifest.json");
  if (!Array.isArray(value)) throw archiveError("invalid archive: manifest.json is not a JSON array");
  return value.map((raw, i): ManifestItem => {
    const item = raw as Partial<ManifestItem> | null;
    const where = `manifest.json entry ${i}`;
    if (item === null || typeof item !== "object") throw archiveError(`invalid archive: ${where} is not an object`);
    if (typeof item.Config !== "string" || item.Config === "") throw archiveError(`invalid archive: ${where} has no Config`);
    if (item.RepoTags !== undefined && item.RepoTags !== null && !isStringArray(item.RepoTags)) throw archiveError(`invalid archive: ${where} has RepoTags that are not strings`);
    if (item.Layers !== undefined && item.Layers !== null && !isStringArray(item.Layers)) throw archiveError(`invalid archive: ${where} has Layers that are not strings`);
    if (item.Parent !== undefined && typeof item.Parent !== "string") throw archiveError(`invalid archive: ${where} has a Parent that is not a string`);
    return { Config: item.Config, RepoTags: item.RepoTags ?? null, Layers: item.Layers ?? [], Parent: item.Parent || undefined, LayerSources: item.LayerSources };
  });
}

export interface OCIIndex {
  manifests: Descriptor[];
}

export function parseIndex(bytes: Uint8Array, file: string): OCIIndex {
  const value = parseJSON(bytes, file) as { manifests?: unknown } | null;
  if (value === null || typeof value !== "object" || !Array.isArray(value.manifests)) throw archiveError(`invalid archive: ${file} has no manifests list`);
  return { manifests: value.manifests.map((d, i) => descriptor(d, `${file} manifests[${i}]`)) };
}

export interface OCIManifest {
  config: Descriptor;
  layers: Descriptor[];
}

export function parseImageManifest(bytes: Uint8Array, file: string): OCIManifest {
  const value = parseJSON(bytes, file) as { config?: unknown; layers?: unknown } | null;
  if (value === null || typeof value !== "object") throw archiveError(`invalid archive: ${file} is not an object`);
  if (!Array.isArray(value.layers)) throw archiveError(`invalid archive: ${file} has no layers list`);
  return {
    config: descriptor(value.config, `${file} config`),
    layers: value.layers.map((d, i) => descriptor(d, `${file} layers[${i}]`)),
  };
}

/** ocispec.Descriptor in Go's field order. */
export function descriptorJSON(d: Descriptor): string {
  const parts = [`"mediaType":${goQuote(d.mediaType)}`, `"digest":${goQuote(d.digest)}`, `"size":${d.size}`];
  if (d.urls && d.urls.length > 0) parts.push(`"urls":[${d.urls.map(goQuote).join(",")}]`);
  if (d.annotations && Object.keys(d.annotations).length > 0) {
    parts.push(`"annotations":${goMap(Object.entries(d.annotations).map(([k, v]) => [k, goQuote(v)]))}`);
  }
  return `{${parts.join(",")}}`;
}

/** distribution.Descriptor (manifest.json LayerSources): mediaType, size, digest. */
function layerSourceJSON(d: Descriptor): string {
  const parts = [`"mediaType":${goQuote(d.mediaType)}`, `"size":${d.size}`, `"digest":${goQuote(d.digest)}`];
  if (d.urls && d.urls.length > 0) parts.push(`"urls":[${d.urls.map(goQuote).join(",")}]`);
  return `{${parts.join(",")}}`;
}

/** `manifest.json` as json.NewEncoder writes it: one line, trailing newline. */
export function manifestJSON(items: readonly ManifestItem[]): string {
  const encoded = items.map((m) => {
    const parts = [
      `"Config":${goQuote(m.Config)}`,
      `"RepoTags":${m.RepoTags === null ? "null" : `[${m.RepoTags.map(goQuote).join(",")}]`}`,
      `"Layers":[${m.Layers.map(goQuote).join(",")}]`,
    ];
    if (m.Parent) parts.push(`"Parent":${goQuote(m.Parent)}`);
    if (m.LayerSources && Object.keys(m.LayerSources).length > 0) {
      parts.push(`"LayerSources":${goMap(Object.entries(m.LayerSources).map(([k, d]) => [k, layerSourceJSON(d)]))}`);
    }
    return `{${parts.join(",")}}`;
  });
  return `[${encoded.join(",")}]\n`;
}

/** The legacy `repositories` file: `{"name":{"tag":"<top v1 id>"}}` plus a newline. */
export function repositoriesJSON(repos: Map<string, Map<string, string>>): string {
  return goMap([...repos].map(([name, tags]) => [name, goMap([...tags].map(([tag, id]) => [tag, goQuote(id)]))])) + "\n";
}

/** ocispec.Manifest: schemaVersion, mediaType, config, layers. */
export function imageManifestJSON(config: Descriptor, layers: readonly Descriptor[]): string {
  return `{"schemaVersion":2,"mediaType":${goQuote(MEDIA_TYPE_OCI_MANIFEST)},"config":${descriptorJSON(config)},"layers":[${layers.map(descriptorJSON).join(",")}]}`;
}

/** ocispec.Index: schemaVersion, mediaType, manifests. */
export function indexJSON(manifests: readonly Descriptor[]): string {
  return `{"schemaVersion":2,"mediaType":${goQuote(MEDIA_TYPE_OCI_INDEX)},"manifests":[${manifests.map(descriptorJSON).join(",")}]}`;
}
