/**
 * Manifests as a registry serves them: Docker schema2 and OCI image manifests, Docker manifest
 * lists and OCI indexes (the multi-platform kind), and the platform choice among an index's
 * entries (containerd's `platforms` matching: os and architecture exact, variant when asked).
 */
import { WharfError } from "../errors.ts";
import { MEDIA_TYPE_DOCKER_LIST, MEDIA_TYPE_DOCKER_MANIFEST, MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_OCI_MANIFEST, type Descriptor } from "../tarexport/manifest.ts";

export { MEDIA_TYPE_DOCKER_LIST, MEDIA_TYPE_DOCKER_MANIFEST, MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_OCI_MANIFEST, type Descriptor };
export const MEDIA_TYPE_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
export const MEDIA_TYPE_DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
const MEDIA_TYPE_DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+prettyjws";

/** What a pull accepts, in Docker's order of preference. */
export const MANIFEST_ACCEPT = [MEDIA_TYPE_DOCKER_MANIFEST, MEDIA_TYPE_DOCKER_LIST, MEDIA_TYPE_OCI_MANIFEST, MEDIA_TYPE_OCI_INDEX].join(", ");

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface ImageManifest {
  kind: "image";
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface IndexManifest {
  kind: "index";
  mediaType: string;
  manifests: Descriptor[];
}

function invalid(what: string, why: string): WharfError {
  return new WharfError("REGISTRY", `${what}: invalid manifest: ${why}`);
}

function descriptor(value: unknown, what: string, field: string): Descriptor {
  const d = value as Partial<Descriptor> | null;
  if (d === null || typeof d !== "object" || typeof d.digest !== "string" || typeof d.size !== "number" || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw invalid(what, `${field} is not a descriptor with digest and size`);
  }
  if (!/^sha256:[0-9a-f]{64}$/.test(d.digest)) throw invalid(what, `${field} has unsupported digest ${JSON.stringify(d.digest)}`);
  return { ...d, mediaType: typeof d.mediaType === "string" ? d.mediaType : "" } as Descriptor;
}

/** Parses a manifest body; `contentType` is the response's, used when the body names none. */
export function parseManifest(bytes: Uint8Array, contentType: string, what: string): ImageManifest | IndexManifest {
  let value: { mediaType?: unknown; schemaVersion?: unknown; config?: unknown; layers?: unknown; manifests?: unknown };
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    throw invalid(what, `not JSON (${(e as Error).message})`);
  }
  if (value === null || typeof value !== "object") throw invalid(what, "not a JSON object");
  const mediaType = typeof value.mediaType === "string" && value.mediaType ? value.mediaType : contentType.split(";")[0]!.trim();
  if (mediaType === MEDIA_TYPE_DOCKER_SCHEMA1 || value.schemaVersion === 1) {
    throw new WharfError("REGISTRY", `${what}: Docker Image manifest schema version 1 is not supported; push the image again with a current client`);
  }
  if (Array.isArray(value.manifests) && (mediaType === MEDIA_TYPE_OCI_INDEX || mediaType === MEDIA_TYPE_DOCKER_LIST || value.config === undefined)) {
    return { kind: "index", mediaType, manifests: value.manifests.map((m, i) => descriptor(m, what, `manifests[${i}]`)) };
  }
  if (value.config === undefined) throw invalid(what, `no config (media type ${JSON.stringify(mediaType)})`);
  if (!Array.isArray(value.layers)) throw invalid(what, "no layers list");
  return {
    kind: "image",
    mediaType,
    config: descriptor(value.config, what, "config"),
    layers: value.layers.map((l, i) => descriptor(l, what, `layers[${i}]`)),
  };
}

const ARCH_ALIASES: Record<string, string> = { x86_64: "amd64", x64: "amd64", aarch64: "arm64", armhf: "arm", armel: "arm", i386: "386", ia32: "386" };

/** `os/arch[/variant]` → Platform, arch names normalized the way containerd does. */
export function parsePlatform(text: string): Platform {
  const parts = text.toLowerCase().split("/");
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/.test(p))) {
    throw new WharfError("USAGE", `invalid platform ${JSON.stringify(text)}: expected os/arch[/variant]`);
  }
  return normalizePlatform({ os: parts[0]!, architecture: parts[1]!, variant: parts[2] });
}

export function normalizePlatform(p: Platform): Platform {
  const architecture = ARCH_ALIASES[p.architecture] ?? p.architecture;
  let variant = p.variant || undefined;
  if (architecture === "arm64" && variant === "v8") variant = undefined; // arm64's only variant
  return variant ? { os: p.os, architecture, variant } : { os: p.os, architecture };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

/** The entry of `index` for `wanted`: os and arch equal; the variant equal when asked, else the first. */
export function selectPlatform(index: IndexManifest, wanted: Platform, what: string): Descriptor {
  const want = normalizePlatform(wanted);
  const candidates = index.manifests.filter((d) => {
    if (!d.platform?.os || !d.platform.architecture) return false;
    const have = normalizePlatform({ os: d.platform.os, architecture: d.platform.architecture, variant: d.platform.variant });
    return have.os === want.os && have.architecture === want.architecture && (want.variant === undefined || have.variant === want.variant);
  });
  const found = candidates[0];
  if (!found) {
    const offered = index.manifests.filter((d) => d.platform?.os).map((d) => formatPlatform(normalizePlatform({ os: d.platform!.os!, architecture: d.platform!.architecture ?? "", variant: d.platform!.variant }))).join(", ");
    throw new WharfError("NOT_FOUND", `${what}: no matching manifest for ${formatPlatform(want)} in the manifest list entries (it has: ${offered || "none"})`);
  }
  return found;
}
