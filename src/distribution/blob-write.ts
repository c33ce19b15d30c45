/**
 * Putting blobs into a repository (the distribution API's upload sessions): `HEAD` to see
 * whether it is there, a cross-repository mount when another repository of the registry has it,
 * a monolithic upload for small known bytes (a config), and a chunked upload for a stream whose
 * digest is learned only at its end (a layer being compressed): fixed-size `PATCH`es with
 * `Content-Range`, then `PUT ?digest=`. Memory holds one chunk, never the blob.
 */
import type { DigesterFactory } from "../ports.ts";
import { WharfError } from "../errors.ts";
import { concatBytes } from "../io/bytes.ts";
import { pullScope, pushScope, type RegistryClient } from "./client.ts";

const CHUNK_BYTES = 8 << 20;

/** The blob's size when `repository` has it, else undefined. */
export async function statBlob(client: RegistryClient, repository: string, digest: string, scope = pullScope(repository)): Promise<number | undefined> {
  const response = await client.request("HEAD", `/v2/${repository}/blobs/${digest}`, { scopes: [scope], accept: [404], what: `blob ${digest}` });
  await response.body?.cancel();
  if (response.status === 404) return undefined;
  const length = Number(response.headers.get("content-length"));
  return Number.isSafeInteger(length) ? length : undefined;
}

function locationOf(client: RegistryClient, response: Response, what: string): string {
  const location = response.headers.get("location");
  if (!location) throw new WharfError("REGISTRY", `${what}: the registry gave no upload location`);
  return client.resolve(location);
}

function withQuery(url: string, name: string, value: string): string {
  const u = new URL(url);
  u.searchParams.set(name, value);
  return u.toString();
}

/** Drops an upload session the push will not finish (best effort: the registry expires it anyway). */
async function cancelUpload(client: RegistryClient, repository: string, location: string, what: string): Promise<void> {
  const response = await client.request("DELETE", location, { scopes: [pushScope(repository)], accept: [404], what }).catch(() => undefined);
  await response?.body?.cancel();
}

/**
 * Asks `repository` to mount `digest` from `from` (same registry). True when mounted; when the
 * registry cannot, the upload session it opened instead is cancelled and false returned.
 */
export async function mountBlob(client: RegistryClient, repository: string, digest: string, from: string): Promise<boolean> {
  const what = `mount of ${digest} from ${from}`;
  const response = await client.request("POST", `/v2/${repository}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`, {
    scopes: [pushScope(repository), pullScope(from)],
    what,
  });
  await response.body?.cancel();
  if (response.status === 201) return true;
  if (response.status === 202 && response.headers.get("location")) {
    await cancelUpload(client, repository, locationOf(client, response, what), what);
  }
  return false;
}

async function startUpload(client: RegistryClient, repository: string, what: string): Promise<string> {
  const response = await client.request("POST", `/v2/${repository}/blobs/uploads/`, { scopes: [pushScope(repository)], what });
  await response.body?.cancel();
  return locationOf(client, response, what);
}

/** Uploads bytes whose digest is known, in one request. */
export async function uploadBytes(client: RegistryClient, repository: string, digest: string, data: Uint8Array<ArrayBuffer>): Promise<void> {
  const what = `upload of ${digest}`;
  const location = await startUpload(client, repository, what);
  const response = await client.request("PUT", withQuery(location, "digest", digest), {
    scopes: [pushScope(repository)],
    headers: { "Content-Type": "application/octet-stream" },
    body: data,
    what,
  });
  await response.body?.cancel();
}

export interface UploadedBlob {
  digest: string;
  size: number;
}

/** Uploads a stream in chunks, hashing as it goes; the digest is sent with the closing `PUT`. */
export async function uploadStream(
  client: RegistryClient,
  repository: string,
  stream: ReadableStream<Uint8Array>,
  digests: DigesterFactory,
  onBytes?: (n: number) => void,
): Promise<UploadedBlob> {
  const what = `upload to ${repository}`;
  let location = await startUpload(client, repository, what);
  const digester = digests.sha256();
  let size = 0;
  const pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    const chunk = concatBytes(pending, pendingBytes);
    const response = await client.request("PATCH", location, {
      scopes: [pushScope(repository)],
      headers: { "Content-Type": "application/octet-stream", "Content-Range": `${size - pendingBytes}-${size - 1}` },
      body: chunk,
      what,
    });
    await response.body?.cancel();
    location = locationOf(client, response, what);
    onBytes?.(pendingBytes);
    pending.length = 0;
    pendingBytes = 0;
  };
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      digester.update(value);
      size += value.byteLength;
      pending.push(value);
      pendingBytes += value.byteLength;
      if (pendingBytes >= CHUNK_BYTES) await flush();
    }
    await flush();
  } catch (e) {
    await reader.cancel().catch(() => {});
    await cancelUpload(client, repository, location, what);
    throw e;
  }
  const digest = `sha256:${digester.hex()}`;
  const response = await client.request("PUT", withQuery(location, "digest", digest), { scopes: [pushScope(repository)], what });
  await response.body?.cancel();
  return { digest, size };
}
