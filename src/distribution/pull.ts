/**
 * `docker pull` (moby `distribution/pull_v2.go`) as a walk over descriptors: the manifest by tag
 * or digest (an index narrowed to one platform), then the config and the layers at once. Layers
 * whose chainID the store has are not fetched; the others stream from the registry through digest
 * verification and decompression straight into registration — no temp copy — several at once
 * where the driver keeps layers independent. Tags and digests are written last, so a failed or
 * killed pull leaves no half-tagged image and its layers go with the failure.
 */
import type { Runtime } from "../ports.ts";
import { WharfError } from "../errors.ts";
import { decompress } from "../compress/index.ts";
import { chainIDs, digestOf } from "../hash/digest.ts";
import { readAll } from "../io/bytes.ts";
import { parseImageConfig } from "../image/config.ts";
import type { ImageID } from "../image/image.ts";
import type { ChainLayer } from "../layer/register-chain.ts";
import type { ChainID } from "../layer/layer.ts";
import { parseDockerRef, withDigest, type Reference } from "../reference/reference.ts";
import type { Store } from "../store/root.ts";
import type { RegistryCredentials } from "./auth.ts";
import { openBlob, readBlob, startBlob } from "./blob-read.ts";
import { pullScope, RegistryClient } from "./client.ts";
import { MANIFEST_ACCEPT, parseManifest, selectPlatform, type Descriptor, type ImageManifest, type Platform } from "./manifest.ts";
import { DistributionMetadata } from "./metadata.ts";
import { WORKER_WORTH_BYTES, workerClient } from "../worker/client.ts";

export type LayerStatus = "Already exists" | "Pulling fs layer" | "Downloading" | "Verifying Checksum" | "Download complete" | "Extracting" | "Pull complete";

export interface PullEvents {
  /** `<tag>: Pulling from <repo>` */
  start?(line: string): void;
  layer?(shortID: string, status: LayerStatus, progress?: { current: number; total: number }): void;
}

export interface PullOptions {
  runtime: Runtime;
  /** Credentials for the reference's registry (from config.json), if any. */
  credentials?: RegistryCredentials;
  insecureRegistries?: readonly string[];
  /** The image picked from an index; default this machine's. */
  platform?: Platform;
  /** Layers downloaded at once (default 3). */
  maxConcurrent?: number;
  events?: PullEvents;
}

export interface PullResult {
  id: ImageID;
  reference: Reference;
  /** Digest of the manifest the tag named (an index's own digest for a multi-platform image). */
  manifestDigest: string;
  /** False when the reference already named this image (Docker's "Image is up to date"). */
  changed: boolean;
  layersFetched: number;
}

const MANIFEST_LIMIT = 4 << 20;

type PullStores = Pick<Store, "layers" | "images" | "references" | "imageRoot">;

export async function pullImage(store: PullStores, name: string, options: PullOptions): Promise<PullResult> {
  const rt = options.runtime;
  const ref = parseDockerRef(name);
  const client = await RegistryClient.connect(ref.domain, { credentials: options.credentials, insecureRegistries: options.insecureRegistries, nowMs: () => rt.clock.monotonicMs(), fetchGet: rt.fetchGet });
  const repository = ref.path;
  const platform = options.platform ?? { os: rt.env?.platform().os ?? "linux", architecture: rt.env?.platform().architecture ?? "amd64" };

  options.events?.start?.(`${ref.tag ?? ref.digest}: Pulling from ${ref.path}`);
  const top = await fetchManifest(client, repository, ref.digest ?? ref.tag!, ref, rt);
  let image = top.manifest;
  if (image.kind === "index") {
    const chosen = selectPlatform(image, platform, ref.familiarString());
    image = (await fetchManifest(client, repository, chosen.digest, ref, rt)).manifest;
    if (image.kind !== "image") throw new WharfError("REGISTRY", `${ref.familiarString()}: index entry ${chosen.digest} is itself an index`);
  }

  // A large image will create its many small files on the worker: start it while the config comes.
  if (image.layers.reduce((n, l) => n + l.size, 0) >= WORKER_WORTH_BYTES) void workerClient(rt.workers);
  const metadata = new DistributionMetadata(rt.files!, `${store.imageRoot}/distribution`);
  const early = await startEarlyDownloads(store, client, repository, image, metadata, options.maxConcurrent ?? 3);
  let fetched: Awaited<ReturnType<typeof registerLayers>>;
  let rawConfig: Uint8Array;
  try {
    rawConfig = await readBlob(client, repository, image.config, { digests: rt.digests, mismatch: (d) => `image config verification failed for digest ${d}` });
    const config = parseImageConfig(rawConfig, `config ${image.config.digest}`);
    const diffIDs = config.rootfs.diff_ids;
    if (diffIDs.length !== image.layers.length) {
      throw new WharfError("REGISTRY", `${ref.familiarString()}: manifest lists ${image.layers.length} layers, its config ${diffIDs.length} diff_ids`);
    }
    fetched = await registerLayers(store, client, repository, image, diffIDs, early, options);
  } finally {
    for (const download of early.values()) download.cancel(); // those the store turned out to have
  }
  const id = digestOf(rt.digests, rawConfig) as ImageID;

  let changed = true;
  try {
    await store.images.create(rawConfig);
  } finally {
    if (fetched.top) await store.layers.release(fetched.top).catch(() => {});
  }
  // Each diffID's files are its own: different ones are written at once, one diffID's blobs in turn.
  const blobsByDiffID = new Map<string, string[]>();
  for (const { diffID, blob } of fetched.downloaded) {
    const blobs = blobsByDiffID.get(diffID);
    if (blobs) blobs.push(blob);
    else blobsByDiffID.set(diffID, [blob]);
  }
  await Promise.all([...blobsByDiffID].map(async ([diffID, blobs]) => {
    for (const blob of blobs) await metadata.add(diffID, { Digest: blob, SourceRepository: ref.name });
  }));

  if (ref.tag !== undefined) {
    let previous: ImageID | undefined;
    try {
      previous = store.references.get(ref);
    } catch {
      previous = undefined;
    }
    changed = previous !== id;
    await store.references.addTag(ref, id, true);
  } else {
    try {
      changed = store.references.get(ref) !== id;
    } catch {
      changed = true;
    }
  }
  await store.references.addDigest(withDigest(ref, top.digest), id);
  return { id, reference: ref, manifestDigest: top.digest, changed: changed || fetched.downloaded.length > 0, layersFetched: fetched.downloaded.length };
}

async function fetchManifest(client: RegistryClient, repository: string, reference: string, ref: Reference, rt: Runtime) {
  const what = `manifest for ${ref.familiarString()}`;
  const response = await client.request("GET", `/v2/${repository}/manifests/${reference}`, { scopes: [pullScope(repository)], headers: { Accept: MANIFEST_ACCEPT }, what });
  const bytes = await readAll(response.body ?? new ReadableStream(), MANIFEST_LIMIT, what);
  const digest = digestOf(rt.digests, bytes);
  if (reference.startsWith("sha256:") && digest !== reference) {
    throw new WharfError("DIGEST_MISMATCH", `manifest verification failed for digest ${reference} (got ${digest})`);
  }
  return { manifest: parseManifest(bytes, response.headers.get("content-type") ?? "", what), digest };
}

type EarlyDownloads = Map<number, ReturnType<typeof startBlob>>;

/**
 * Downloads started while the config is still on its way (Docker fetches config and layers at
 * once): the first `limit` layers the store cannot be shown to have. Without the config there
 * are no diffIDs, so presence is judged from `diffid-by-digest`: a layer whose blob, and every
 * blob below it, maps to a diffID of a chain in the store is not requested.
 */
async function startEarlyDownloads(store: PullStores, client: RegistryClient, repository: string, image: ImageManifest, metadata: DistributionMetadata, limit: number): Promise<EarlyDownloads> {
  const early: EarlyDownloads = new Map();
  let chain: ChainID | undefined;
  let known = true;
  for (const [i, desc] of image.layers.entries()) {
    if (early.size >= limit) break;
    if (known) {
      const diffID = await metadata.diffIDForDigest(desc.digest);
      if (diffID === undefined) known = false;
      else {
        chain = store.layers.chainIDOf(chain, diffID);
        if (store.layers.has(chain)) continue;
      }
    }
    early.set(i, startBlob(client, repository, desc.digest));
  }
  return early;
}

async function registerLayers(store: PullStores, client: RegistryClient, repository: string, image: ImageManifest, diffIDs: readonly string[], early: EarlyDownloads, options: PullOptions) {
  const rt = options.runtime;
  const chain = chainIDs(rt.digests, diffIDs);
  const short = (d: Descriptor) => d.digest.slice(7, 19);
  const downloaded: Array<{ diffID: string; blob: string }> = [];
  const layers: ChainLayer[] = image.layers.map((desc, i) => {
    const present = store.layers.has(chain[i]!);
    options.events?.layer?.(short(desc), present ? "Already exists" : "Pulling fs layer");
    let blob: ReturnType<typeof openBlob> | undefined;
    return {
      diffID: diffIDs[i] as ChainLayer["diffID"],
      async open() {
        let current = 0;
        const started = early.get(i);
        early.delete(i);
        blob = openBlob(client, repository, desc, {
          started: started?.response,
          digests: rt.digests,
          hashedByReader: true,
          mismatch: (d) => `filesystem layer verification failed for digest ${d}`,
          onBytes: (n) => {
            current += n;
            options.events?.layer?.(short(desc), "Downloading", { current, total: desc.size });
          },
        });
        // The blob's digest comes from the decoder (the codec worker hashes its input off this thread).
        const decoded = await decompress(blob.stream, rt.compression, rt.digests);
        blob.readerDigest(decoded.inputDigest.hex);
        return decoded.stream;
      },
      async settle(failure) {
        // The blob's own failure (wrong digest, lost connection) says more than what it broke downstream.
        await blob!.settle();
        if (failure !== undefined) return;
        options.events?.layer?.(short(desc), "Verifying Checksum");
        options.events?.layer?.(short(desc), "Download complete");
        downloaded.push({ diffID: diffIDs[i]!, blob: desc.digest });
        options.events?.layer?.(short(desc), "Pull complete");
      },
    };
  });
  const result = await store.layers.registerChain(layers, undefined, { concurrency: options.maxConcurrent ?? 3 });
  return { top: result.top, downloaded };
}
