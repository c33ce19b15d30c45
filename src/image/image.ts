/**
 * Image store interfaces (moby `image/`): images addressed by the sha256 of their raw config
 * bytes, kept exactly as received. The implementation is store.ts beside this file.
 */
import type { Digest } from "../hash/digest.ts";
import type { ChainID, DiffID } from "../layer/layer.ts";

export type ImageID = Digest;

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** The fields of an image config wharf reads; the raw bytes stay the source of truth. */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  author?: string;
  comment?: string;
  docker_version?: string;
  container?: string;
  config?: Record<string, unknown>;
  container_config?: Record<string, unknown>;
  rootfs: { type: string; diff_ids: DiffID[] };
  history?: HistoryEntry[];
  [key: string]: unknown;
}

export interface StoredImage {
  readonly id: ImageID;
  /** The config exactly as stored; `id` is its sha256. */
  readonly rawConfig: Uint8Array;
  readonly config: ImageConfig;
  /** chainID of the top layer; undefined for an image without layers. */
  readonly topLayer: ChainID | undefined;
}

export interface ImageStore {
  /** Stores a config (idempotent) after checking its layers exist; takes a reference on the top layer. */
  create(rawConfig: Uint8Array): Promise<ImageID>;
  /** Reads and re-hashes the config; a mismatch is an error, never silently used. */
  get(id: ImageID): Promise<StoredImage>;
  /** Full ID from a full ID, `sha256:`-less hex, or a unique prefix of at least 1 hex char. Ambiguous → error. */
  search(idOrPrefix: string): ImageID;
  /** Deletes config and metadata and releases the top layer; returns the chainIDs deleted. */
  delete(id: ImageID): Promise<ChainID[]>;
  setParent(id: ImageID, parent: ImageID): Promise<void>;
  getParent(id: ImageID): Promise<ImageID | undefined>;
  children(id: ImageID): ImageID[];
  setLastUpdated(id: ImageID, when: string): Promise<void>;
  getLastUpdated(id: ImageID): Promise<string | undefined>;
  /** `builtLocally` metadata (one byte 0x01), set by builds, not by load or pull. */
  setBuiltLocally(id: ImageID): Promise<void>;
  isBuiltLocally(id: ImageID): Promise<boolean>;
  list(): ImageID[];
}
