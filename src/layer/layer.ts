/**
 * Layer store interfaces (moby `layer/`): read-only layers addressed by chainID, reference
 * counted; registration from a tar stream in one pass. The implementation is store.ts beside
 * this file; the on-disk format is the spec's `layerdb/`.
 */
import type { Digest } from "../hash/digest.ts";
import type { ByteInput } from "../io/source.ts";

export type ChainID = Digest;
export type DiffID = Digest;

/** The empty layer tar (1024 zero bytes): Docker's well-known diffID. */
export const EMPTY_LAYER_DIFF_ID: DiffID = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";

/** A registered read-only layer. */
export interface Layer {
  readonly chainID: ChainID;
  readonly diffID: DiffID;
  readonly parent: Layer | undefined;
  /** What the driver reports for the applied layer (the `size` file). */
  readonly size: number;
  /** The graph driver's directory name for this layer (the `cache-id` file). */
  readonly cacheID: string;
  /** The exact uncompressed layer tar, rebuilt from tar-split records plus the layer's files (CRC checked). */
  tarStream(): ReadableStream<Uint8Array>;
  /** The length of `tarStream()`'s bytes, from the tar-split alone (an archive writes it first). */
  tarLength(): Promise<number>;
}

/**
 * A container's read-write layer (moby `layer.RWLayer`): `<mountID>-init` on the image's top
 * layer, `<mountID>` on the init layer, recorded in `layerdb/mounts/<name>/` (`mount-id`,
 * `init-id`, `parent`). Holds a reference on its parent.
 */
export interface RWLayer {
  /** The container ID the layer belongs to (the `layerdb/mounts/<name>` directory). */
  readonly name: string;
  readonly mountID: string;
  /** `<mountID>-init`. */
  readonly initID: string;
  readonly parent: Layer | undefined;
  /** Mounts the merged rootfs and returns its path; counted across processes (each mount needs an unmount). */
  mount(): Promise<string>;
  unmount(): Promise<void>;
  /** How many mounts are outstanding. */
  mountCount(): Promise<number>;
  /** Changes of the read-write layer against the init layer (`docker diff`). */
  changes(): Promise<import("../graphdriver/driver.ts").Change[]>;
  /** The changes as a layer tar with Docker's header conventions (`docker commit`). */
  tarStream(): ReadableStream<Uint8Array>;
  /** Bytes of the read-write layer's own content (`docker ps -s`). */
  size(): Promise<number>;
}

export interface RegisterOptions {
  /** When set, a computed diffID that differs fails registration and nothing of the layer is kept. */
  expectedDiffID?: DiffID;
}

export interface LayerStore {
  /**
   * Registers the layer tar `tar` (already decompressed) on top of `parent`, in one pass:
   * hash → tar-split → apply. Takes a reference. When the chainID exists already, the existing
   * layer is referenced and the tar is still read to its end (to learn its diffID).
   */
  register(tar: ByteInput, parent: ChainID | undefined, options?: RegisterOptions): Promise<Layer>;
  /** The layer with this chainID, taking a reference; undefined when unknown. */
  get(chainID: ChainID): Layer | undefined;
  /** Whether the layer exists, without taking a reference. */
  has(chainID: ChainID): boolean;
  /** Drops one reference; layers reaching zero are deleted down the chain. Returns the deleted chainIDs. */
  release(layer: Layer): Promise<ChainID[]>;
  /** Every layer in the store (no references taken). */
  list(): Layer[];
}

/** Containers' layers in the layer store (moby's mounts): `layerdb/mounts/<name>/`. */
export interface RWLayerStore {
  /**
   * Creates a container's init and read-write layers on `parent`; `init` fills the init layer
   * (given its directory) before the read-write layer is created on it.
   */
  createRWLayer(name: string, parent: ChainID | undefined, init: (initDir: string) => Promise<void>): Promise<RWLayer>;
  getRWLayer(name: string): RWLayer | undefined;
  /** Removes the read-write and init layers (unmounting first) and releases the parent; returns the chainIDs deleted. */
  releaseRWLayer(layer: RWLayer): Promise<ChainID[]>;
  listRWLayers(): RWLayer[];
}
