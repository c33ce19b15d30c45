/**
 * The reference store (moby `reference/store.go`): tags and digests → image IDs, kept in
 * `image/<driver>/repositories.json` exactly as Docker writes it:
 * `{"Repositories":{"<familiar name>":{"<familiar ref>":"sha256:<id>"}}}`, keys sorted, mode
 * 0600, no trailing newline, replaced atomically.
 *
 * wharf has no daemon, so several processes may share a root: every change re-reads the file
 * first and writes it back at once, so a change never discards another process's earlier one.
 * (Two changes racing in the same instant still end last-writer-wins, as two dockerd would.)
 */
import type { FilesPort } from "../ports.ts";
import { WharfError } from "../errors.ts";
import { writeFileAtomic } from "../fs/atomic.ts";
import { isDigest, type Digest } from "../hash/digest.ts";
import type { ImageID } from "../image/image.ts";
import { parseNormalizedNamed, tagNameOnly, Reference } from "./reference.ts";

/** A reference and the image it points at. */
export interface Association {
  ref: Reference;
  id: ImageID;
}

type Repositories = Map<string, Map<string, ImageID>>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class ReferenceStore {
  private repositories: Repositories = new Map();
  /** Every reference sorted, and by image: built on first ask, dropped whenever repositories change (`images` asks once per image). */
  private indexed: { all: Association[]; byID: Map<ImageID, Reference[]> } | undefined;
  /** Serializes changes made by this process (other processes are kept out by the root lock). */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly files: FilesPort, readonly path: string) {}

  /** Opens (creating when absent, as dockerd does on start) the store at `path`. */
  static async open(files: FilesPort, path: string): Promise<ReferenceStore> {
    const store = new ReferenceStore(files, path);
    const exists = await store.reload();
    if (!exists) {
      const dir = path.slice(0, path.lastIndexOf("/"));
      if (dir !== "") await files.mkdir(dir, { recursive: true, mode: 0o700 });
      await store.save();
    }
    return store;
  }

  /**
   * Points the tag `ref` (a bare name means `:latest`) at `id`. Moving an existing tag needs
   * `force`; the previous image ID is returned so the caller can say it was renamed.
   */
  addTag(ref: Reference, id: ImageID, force: boolean): Promise<ImageID | undefined> {
    if (ref.digest !== undefined) return Promise.reject(new WharfError("INVALID_REFERENCE", "refusing to create a tag with a digest reference"));
    return this.change(() => this.addReference(tagNameOnly(ref), id, force));
  }

  /** Records `name@digest` (the manifest digest) for `id`. A digest is never moved to another image. */
  async addDigest(ref: Reference, id: ImageID): Promise<void> {
    if (ref.digest === undefined) throw new WharfError("INVALID_REFERENCE", `reference ${ref.familiarString()} has no digest`);
    const digested = new Reference(ref.domain, ref.path, undefined, ref.digest);
    await this.change(() => this.addReference(digested, id, false));
  }

  /** Removes one reference (a bare name means `:latest`); false when it did not exist. */
  delete(ref: Reference): Promise<boolean> {
    const named = tagNameOnly(ref);
    return this.change(() => {
      const repo = this.repositories.get(named.familiarName());
      const key = named.familiarString();
      if (!repo || !repo.has(key)) return false;
      repo.delete(key);
      if (repo.size === 0) this.repositories.delete(named.familiarName());
      return true;
    }, (removed) => removed);
  }

  /** The image a reference points at (a bare name means `:latest`). */
  get(ref: Reference): ImageID {
    const named = tagNameOnly(ref);
    const id = this.repositories.get(named.familiarName())?.get(named.familiarString());
    if (id === undefined) throw new WharfError("NOT_FOUND", "reference does not exist");
    return id;
  }

  /** Every reference to `id`, sorted by their full string (as moby sorts them). */
  references(id: ImageID): Reference[] {
    return [...(this.index().byID.get(id) ?? [])];
  }

  /** Every reference in the repository of `name`, sorted by full string. */
  referencesByName(name: Reference): Association[] {
    const repo = name.familiarName();
    return this.index().all.filter((a) => a.ref.familiarName() === repo);
  }

  /** Every reference in the store, sorted by full string. */
  list(): Association[] {
    return [...this.index().all];
  }

  private index(): { all: Association[]; byID: Map<ImageID, Reference[]> } {
    if (this.indexed) return this.indexed;
    const found: Association[] = [];
    for (const repo of this.repositories.values()) {
      for (const [key, id] of repo) found.push({ ref: parseNormalizedNamed(key), id });
    }
    const all = sortAssociations(found);
    const byID = new Map<ImageID, Reference[]>();
    for (const { ref, id } of all) {
      const refs = byID.get(id);
      if (refs) refs.push(ref);
      else byID.set(id, [ref]);
    }
    this.indexed = { all, byID };
    return this.indexed;
  }

  /** Re-reads the file (another process may have changed it). */
  async refresh(): Promise<void> {
    await this.reload();
  }

  private addReference(ref: Reference, id: ImageID, force: boolean): ImageID | undefined {
    if (!isDigest(id)) throw new WharfError("INVALID_ARGUMENT", `invalid image ID ${JSON.stringify(id)}`);
    const name = ref.familiarName();
    const key = ref.familiarString();
    if (name === "sha256") throw new WharfError("INVALID_REFERENCE", "refusing to create an ambiguous tag using digest algorithm as name");
    let repo = this.repositories.get(name);
    const oldID = repo?.get(key);
    if (oldID === id) return undefined;
    if (oldID !== undefined) {
      if (ref.digest !== undefined) throw new WharfError("CONFLICT", `Cannot overwrite digest ${ref.digest}`);
      if (!force) {
        throw new WharfError("CONFLICT", `Conflict: Tag ${ref.toString()} is already set to image ${oldID}, if you want to replace it, please use -f option`);
      }
    }
    if (!repo) {
      repo = new Map();
      this.repositories.set(name, repo);
    }
    repo.set(key, id);
    return oldID;
  }

  /** Runs `apply` on a freshly re-read state and saves when `changed(result)` says so. */
  private change<T>(apply: () => T, changed: (result: T) => boolean = () => true): Promise<T> {
    const run = async (): Promise<T> => {
      await this.reload();
      const before = serialize(this.repositories);
      let result: T;
      try {
        result = apply();
      } finally {
        this.indexed = undefined;
      }
      if (changed(result) && serialize(this.repositories) !== before) await this.save();
      return result;
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Loads the file; false when it does not exist. Entries that do not parse are skipped, as moby does. */
  private async reload(): Promise<boolean> {
    let bytes: Uint8Array;
    try {
      bytes = await this.files.readFile(this.path);
    } catch (e) {
      if (e instanceof WharfError && e.errno === "ENOENT") return false;
      throw e;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(decoder.decode(bytes));
    } catch (e) {
      throw new WharfError("INVALID_ARGUMENT", `${this.path}: malformed JSON: ${(e as Error).message}`);
    }
    const repositories: Repositories = new Map();
    const top = (parsed as { Repositories?: unknown } | null)?.Repositories;
    if (top !== null && typeof top === "object") {
      for (const [name, refs] of Object.entries(top as Record<string, unknown>)) {
        if (refs === null || typeof refs !== "object") continue;
        const repo = new Map<string, ImageID>();
        for (const [key, id] of Object.entries(refs as Record<string, unknown>)) {
          if (typeof id !== "string" || !isDigest(id) || !parses(key)) continue;
          repo.set(key, id as Digest);
        }
        if (repo.size > 0) repositories.set(name, repo);
      }
    }
    this.repositories = repositories;
    this.indexed = undefined;
    return true;
  }

  private async save(): Promise<void> {
    await writeFileAtomic(this.files, this.path, encoder.encode(serialize(this.repositories)), { mode: 0o600 });
  }
}

function parses(key: string): boolean {
  try {
    parseNormalizedNamed(key);
    return true;
  } catch {
    return false;
  }
}

/** Go's json.Marshal of the struct: map keys sorted bytewise, no spaces, no newline. */
export function serialize(repositories: Repositories): string {
  const names = [...repositories.keys()].sort(compareBytes);
  const body = names.map((name) => {
    const repo = repositories.get(name)!;
    const refs = [...repo.keys()].sort(compareBytes).map((key) => `${JSON.stringify(key)}:${JSON.stringify(repo.get(key))}`);
    return `${JSON.stringify(name)}:{${refs.join(",")}}`;
  });
  return `{"Repositories":{${body.join(",")}}}`;
}

/** Byte order of the UTF-8 encodings (Go's string order), not UTF-16 code-unit order. */
function compareBytes(a: string, b: string): number {
  return compareEncoded(encoder.encode(a), encoder.encode(b));
}

function compareEncoded(x: Uint8Array, y: Uint8Array): number {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

function sortAssociations(list: Association[]): Association[] {
  // Each key encoded once, not once per comparison.
  const keyed = list.map((a) => ({ a, key: encoder.encode(a.ref.toString()) }));
  return keyed.sort((x, y) => compareEncoded(x.key, y.key)).map(({ a }) => a);
}
