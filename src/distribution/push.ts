/**
 * `docker push` (moby `distribution/push_v2.go`): each layer of the image is pushed unless the
 * registry has it (`HEAD` of a digest the v2 metadata remembers) or can mount it from another
 * repository it holds; the rest are rebuilt from tar-split, gzip-compressed reproducibly (the
 * same bytes, so the same digest, on every runtime) and uploaded in chunks while compressing.
 * Then the config blob and a Docker schema2 manifest, put under the tag.
 */
import type { Runtime } from "../ports.ts";
import { WharfError } from "../errors.ts";
import { gzipEncode } from "../compress/index.ts";
import { digestOf } from "../hash/digest.ts";
import type { Layer } from "../layer/layer.ts";
import { noSuchImage } from "../images/lookup.ts";
import { parseNormalizedNamed, tagNameOnly, type Reference } from "../reference/reference.ts";
import type { Store } from "../store/root.ts";
import type { RegistryCredentials } from "./auth.ts";
import { mountBlob, statBlob, uploadBytes, uploadStream } from "./blob-write.ts";
import { pushScope, RegistryClient } from "./client.ts";
import { MEDIA_TYPE_DOCKER_CONFIG, MEDIA_TYPE_DOCKER_LAYER_GZIP, MEDIA_TYPE_DOCKER_MANIFEST, type Descriptor } from "./manifest.ts";
import { DistributionMetadata } from "./metadata.ts";

export type PushStatus = "Preparing" | "Waiting" | "Pushing" | "Pushed" | "Layer already exists" | `Mounted from ${string}`;

export interface PushEvents {
  start?(line: string): void;
  layer?(shortID: string, status: PushStatus, progress?: { current: number }): void;
}

export interface PushOptions {
  runtime: Runtime;
  credentials?: RegistryCredentials;
  insecureRegistries?: readonly string[];
  /** Layers pushed at once (default 5, Docker's). */
  maxConcurrent?: number;
  events?: PushEvents;
}

export interface PushResult {
  reference: Reference;
  digest: string;
  size: number;
  layersUploaded: number;
}

type PushStores = Pick<Store, "layers" | "images" | "references" | "imageRoot">;

export async function pushImage(store: PushStores, name: string, options: PushOptions): Promise<PushResult> {
  const rt = options.runtime;
  const parsed = parseNormalizedNamed(name);
  if (parsed.digest !== undefined) throw new WharfError("USAGE", `cannot push a digest reference (${name}): push a tag`);
  const ref = tagNameOnly(parsed);
  let id;
  try {
    id = store.references.get(ref);
  } catch {
    throw new WharfError("NOT_FOUND", `An image does not exist locally with the tag: ${ref.familiarName()}`);
  }
  const image = await store.images.get(id).catch(() => {
    throw noSuchImage(ref.familiarString());
  });
  const client = await RegistryClient.connect(ref.domain, { credentials: options.credentials, insecureRegistries: options.insecureRegistries, nowMs: () => rt.clock.monotonicMs(), fetchGet: rt.fetchGet });
  const repository = ref.path;
  const metadata = new DistributionMetadata(rt.files!, `${store.imageRoot}/distribution`);
  options.events?.start?.(`The push refers to repository [${ref.name}]`);

  const top = image.topLayer ? store.layers.get(image.topLayer) : undefined;
  if (image.topLayer && !top) throw new WharfError("NOT_FOUND", `layer ${image.topLayer} of image ${id} is missing from the store`);
  try {
    const layers: Layer[] = [];
    for (let l = top; l; l = l.parent) layers.unshift(l);
    const short = (l: Layer) => l.diffID.slice(7, 19);
    for (const l of [...layers].reverse()) options.events?.layer?.(short(l), "Preparing");
    // One push per distinct diffID: an image may repeat a layer (two empty ones, say).
    const byDiffID = new Map<string, Promise<{ desc: Descriptor; uploaded: boolean }>>();
    const queue = pool(options.maxConcurrent ?? 5);
    const results = await Promise.all(
      layers.map((layer) => {
        let task = byDiffID.get(layer.diffID);
        if (!task) {
          task = queue(() => pushLayer(client, repository, ref, layer, metadata, rt, options.events, short(layer)));
          byDiffID.set(layer.diffID, task);
        }
        return task;
      }),
    );

    const configDigest = digestOf(rt.digests, image.rawConfig);
    if ((await statBlob(client, repository, configDigest, pushScope(repository))) === undefined) {
      await uploadBytes(client, repository, configDigest, new Uint8Array(image.rawConfig));
    }
    const manifest = schema2Manifest({ mediaType: MEDIA_TYPE_DOCKER_CONFIG, size: image.rawConfig.byteLength, digest: configDigest }, results.map((r) => r.desc));
    const digest = digestOf(rt.digests, manifest);
    const response = await client.request("PUT", `/v2/${repository}/manifests/${ref.tag}`, {
      scopes: [pushScope(repository)],
      headers: { "Content-Type": MEDIA_TYPE_DOCKER_MANIFEST },
      body: manifest,
      what: `manifest for ${ref.familiarString()}`,
    });
    await response.body?.cancel();
    return { reference: ref, digest, size: manifest.byteLength, layersUploaded: new Set(results.filter((r) => r.uploaded).map((r) => r.desc.digest)).size };
  } finally {
    if (top) await store.layers.release(top).catch(() => {});
  }
}

async function pushLayer(
  client: RegistryClient,
  repository: string,
  ref: Reference,
  layer: Layer,
  metadata: DistributionMetadata,
  rt: Runtime,
  events: PushEvents | undefined,
  shortID: string,
): Promise<{ desc: Descriptor; uploaded: boolean }> {
  const known = (await metadata.v2Metadata(layer.diffID)).filter((m) => parseNormalizedNamed(m.SourceRepository).domain === ref.domain).reverse();
  const descOf = (digest: string, size: number): Descriptor => ({ mediaType: MEDIA_TYPE_DOCKER_LAYER_GZIP, size, digest });
  for (const digest of new Set(known.map((m) => m.Digest))) {
    const size = await statBlob(client, repository, digest, pushScope(repository));
    if (size !== undefined) {
      events?.layer?.(shortID, "Layer already exists");
      await metadata.add(layer.diffID, { Digest: digest, SourceRepository: ref.name });
      return { desc: descOf(digest, size), uploaded: false };
    }
  }
  for (const m of known) {
    const from = parseNormalizedNamed(m.SourceRepository).path;
    if (from === repository) continue;
    if (await mountBlob(client, repository, m.Digest, from)) {
      const size = await statBlob(client, repository, m.Digest, pushScope(repository));
      if (size === undefined) continue;
      events?.layer?.(shortID, `Mounted from ${parseNormalizedNamed(m.SourceRepository).familiarName()}`);
      await metadata.add(layer.diffID, { Digest: m.Digest, SourceRepository: ref.name });
      return { desc: descOf(m.Digest, size), uploaded: false };
    }
  }
  let current = 0;
  const blob = await uploadStream(client, repository, layer.tarStream().pipeThrough(gzipEncode()), rt.digests, (n) => {
    current += n;
    events?.layer?.(shortID, "Pushing", { current });
  });
  events?.layer?.(shortID, "Pushed");
  await metadata.add(layer.diffID, { Digest: blob.digest, SourceRepository: ref.name });
  return { desc: descOf(blob.digest, blob.size), uploaded: true };
}

/** distribution's schema2 manifest bytes: Go's `json.MarshalIndent(m, "", "   ")`. */
export function schema2Manifest(config: Descriptor, layers: readonly Descriptor[]): Uint8Array<ArrayBuffer> {
  const desc = (d: Descriptor, pad: string) =>
    `{\n${pad}   "mediaType": ${JSON.stringify(d.mediaType)},\n${pad}   "size": ${d.size},\n${pad}   "digest": ${JSON.stringify(d.digest)}\n${pad}}`;
  const layerText = layers.length === 0 ? "[]" : `[\n${layers.map((l) => `      ${desc(l, "      ")}`).join(",\n")}\n   ]`;
  const text = `{\n   "schemaVersion": 2,\n   "mediaType": ${JSON.stringify(MEDIA_TYPE_DOCKER_MANIFEST)},\n   "config": ${desc(config, "   ")},\n   "layers": ${layerText}\n}`;
  return new TextEncoder().encode(text);
}

/** A runner that lets `limit` tasks run at once, the rest wait in order. */
function pool(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
