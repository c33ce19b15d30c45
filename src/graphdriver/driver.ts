/**
 * Graph driver interfaces (moby `daemon/graphdriver`): a minimal ProtoDriver that every driver
 * implements, and the diff abilities (Diff, Changes, ApplyDiff, DiffSize) that the naive-diff
 * wrapper adds to any driver without a native diff. Implementations live beside this file:
 * overlay2.ts, vfs.ts, naive-diff.ts; registry.ts chooses one.
 */
import type { TarEntry } from "../tar/reader.ts";
import type { ByteInput } from "../io/source.ts";

/** What `status()` reports, as Docker's `docker info` "Storage Driver" block lists it. */
export type DriverStatus = Array<[string, string]>;

export interface CreateOptions {
  /** Files to place in the new layer right away (the container -init layer uses this). */
  mountLabel?: string;
}

/** The minimal driver: directories of layers, mounted on request. */
export interface ProtoDriver {
  /** Registry name: "overlay2", "vfs". */
  readonly name: string;
  /**
   * Whether a layer's directory is independent of its parent's content, so layers of a chain can
   * be applied at once (overlay2: yes; vfs copies the parent's tree first: no).
   */
  readonly independentLayers: boolean;
  /** The driver's home: `<root>/<name>`. */
  readonly home: string;
  /** A read-only layer `id` on top of `parent` (undefined for a base layer). */
  create(id: string, parent: string | undefined, options?: CreateOptions): Promise<void>;
  /** A read-write (container) layer on top of `parent`. */
  createReadWrite(id: string, parent: string | undefined, options?: CreateOptions): Promise<void>;
  remove(id: string): Promise<void>;
  /** Mounts the layer's full tree (its content over all its parents') and returns the path. Counted: each get needs a put. */
  get(id: string): Promise<string>;
  /** Releases one `get`; the last one unmounts. */
  put(id: string): Promise<void>;
  exists(id: string): Promise<boolean>;
  status(): Promise<DriverStatus>;
  /** Paths `docker inspect` shows under GraphDriver.Data (overlay2: LowerDir, MergedDir, UpperDir, WorkDir); null when the driver has none. */
  metadata(id: string): Promise<Record<string, string> | null>;
  /** Unmounts everything this driver mounted (process exit). */
  cleanup(): Promise<void>;
  /** The IDs of every layer directory the driver holds; restore removes those no layer or mount names (a crash can leave them). */
  list(): Promise<string[]>;
  /**
   * Drivers that mount (overlay2) only: whether the layer's merged dir is a live mount, whoever
   * made it. Container mounts outlive the process, so their state is read from the kernel.
   */
  isMounted?(id: string): Promise<boolean>;
  /**
   * Drivers that mount only: takes one `get` of `id` out of this process's `cleanup()`; the mount
   * stays until a `put` from any process (a container's persisted mount count owns it).
   */
  keepMounted?(id: string): void;
}

/** A change between a layer and its parent, as `docker diff` reports it. */
export interface Change {
  /** Absolute path in the layer, e.g. `/etc/hosts`. */
  path: string;
  kind: "A" | "C" | "D";
}

/** Applies one layer's tar entries, in order, into a layer directory (extraction with whiteouts). */
export interface LayerApplier {
  /** Applies one entry; it may read the entry's body. Unsafe entries (`..`, absolute escapes, links out) throw. */
  apply(entry: TarEntry): Promise<void>;
  /**
   * Finishes (directory times) and returns the layer's `size` file value: overlay2 the size of
   * diff/ (non-directories, hard links once); naive drivers the sum of the tar headers' sizes.
   */
  finish(): Promise<number>;
  /** Waits for writes still running after a failed apply, so the layer can be removed; never throws. */
  settle?(): Promise<void>;
}

/** Reads files of a layer by their path inside the layer (tar-split reassembly). */
export interface DiffGetter {
  /** The file's bytes, or null when the layer has no such regular file. */
  get(path: string): Promise<ByteInput | null>;
  /**
   * Optional: reads the file into `into` when it fits (byte count), null when there is no such
   * regular file, undefined to use `get` instead; synchronous when it can be.
   */
  readInto?(path: string, into: Uint8Array): number | null | undefined | Promise<number | null | undefined>;
  /** The directory the files are read from, when they are plain files there (diff-getter.ts LayerFileReader). */
  readonly dir?: string;
  close(): Promise<void>;
}

/** Diff abilities: native in overlay2, naive (walk and compare) for vfs. */
export interface DiffDriver {
  /** An applier for the layer `id` (already created on `parent`). */
  applier(id: string, parent: string | undefined): Promise<LayerApplier>;
  /** The layer's changes against its parent as a tar with Docker's header conventions. */
  diff(id: string, parent: string | undefined): ReadableStream<Uint8Array>;
  changes(id: string, parent: string | undefined): Promise<Change[]>;
  /**
   * Size of the layer's own content as moby's DiffSize reports it (overlay2: files of diff/ with
   * hard links once; naive: ChangesSize, the added and changed files against the parent). For
   * the `size` file use the applier's `finish()`, which is what Docker records at registration.
   */
  diffSize(id: string, parent: string | undefined): Promise<number>;
  /** File access for tar-split reassembly. */
  diffGetter(id: string): Promise<DiffGetter>;
}

export type Driver = ProtoDriver & DiffDriver;
