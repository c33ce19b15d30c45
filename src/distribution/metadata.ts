/**
 * moby's `distribution/metadata`: which compressed blob a layer came from, and where it has been
 * seen. `diffid-by-digest/sha256/<blob hex>` holds the diffID; `v2metadata-by-diffid/sha256/
 * <diffID hex>` a JSON array of {Digest, SourceRepository, HMAC}, newest last, at most 50. Push
 * reads them to skip blobs a registry has or can mount; pull writes them.
 */
import type { FilesPort } from "../ports.ts";
import { writeFileAtomic } from "../fs/atomic.ts";
import { digestHex, isDigest, type Digest } from "../hash/digest.ts";
import { goQuote } from "../format/go-json.ts";

export interface V2Metadata {
  Digest: string;
  /** Full repository name: `docker.io/library/busybox`, `127.0.0.1:5000/x`. */
  SourceRepository: string;
  HMAC: string;
}

const MAX_ENTRIES = 50;
const encoder = new TextEncoder();

export class DistributionMetadata {
  constructor(
    private readonly files: FilesPort,
    /** `<root>/image/<driver>/distribution` */
    private readonly dir: string,
  ) {}

  private async write(bucket: string, key: string, data: string): Promise<void> {
    await this.files.mkdir(this.dir, { recursive: true, mode: 0o700 });
    await this.files.mkdir(`${this.dir}/${bucket}/sha256`, { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.files, `${this.dir}/${bucket}/sha256/${digestHex(key)}`, encoder.encode(data), { mode: 0o644 });
  }

  private async read(bucket: string, key: string): Promise<string | undefined> {
    try {
      return new TextDecoder().decode(await this.files.readFile(`${this.dir}/${bucket}/sha256/${digestHex(key)}`));
    } catch {
      return undefined;
    }
  }

  async diffIDForDigest(blob: string): Promise<Digest | undefined> {
    const text = (await this.read("diffid-by-digest", blob))?.trim();
    return text && isDigest(text) ? text : undefined;
  }

  async setDiffIDForDigest(blob: string, diffID: string): Promise<void> {
    await this.write("diffid-by-digest", blob, diffID);
  }

  async v2Metadata(diffID: string): Promise<V2Metadata[]> {
    const text = await this.read("v2metadata-by-diffid", diffID);
    if (text === undefined) return [];
    try {
      const value = JSON.parse(text) as unknown;
      return Array.isArray(value) ? value.filter((m): m is V2Metadata => typeof m?.Digest === "string" && typeof m?.SourceRepository === "string") : [];
    } catch {
      return [];
    }
  }

  /** Records where `diffID`'s blob was seen (moby `V2MetadataService.Add`: an equal entry moves to the end). */
  async add(diffID: string, entry: Omit<V2Metadata, "HMAC">): Promise<void> {
    const existing = (await this.v2Metadata(diffID)).filter((m) => !(m.Digest === entry.Digest && m.SourceRepository === entry.SourceRepository));
    const all = [...existing, { ...entry, HMAC: "" }].slice(-MAX_ENTRIES);
    const json = `[${all.map((m) => `{"Digest":${goQuote(m.Digest)},"SourceRepository":${goQuote(m.SourceRepository)},"HMAC":${goQuote(m.HMAC)}}`).join(",")}]`;
    await Promise.all([this.write("v2metadata-by-diffid", diffID, json), this.setDiffIDForDigest(entry.Digest, diffID)]);
  }
}
