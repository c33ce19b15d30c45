/**
 * What inspecting an image archive finds, shared by `wharf analyze` and the web inspector: the
 * images and their layers, each layer's entries and digests (verified), the merged file tree,
 * and dive's layer-efficiency figures. Plain data (structured-clone safe), so a Web Worker can
 * post it to the page as it is.
 */

/** Random access to the bytes of an archive: a file (FilesPort) or a browser Blob (slices). */
export interface ArchiveBytes {
  readonly size: number;
  /** A name for messages (the file name). */
  readonly label: string;
  /** Up to `length` bytes at `offset` (fewer only at the end). */
  read(offset: number, length: number): Promise<Uint8Array>;
}

export type ArchiveKind = "docker-save" | "oci-layout" | "layer";
export type Compression = "none" | "gzip" | "zstd";
/** undefined: nothing to check against; true/false: checked. */
export type Verified = boolean | undefined;

export interface FileEntry {
  /** Clean path without a leading "/" or "./" (directories without a trailing "/"). */
  path: string;
  kind: "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo";
  /** Bytes of content (0 for everything but regular files). */
  size: number;
  mode: number;
  uid: number;
  gid: number;
  linkname?: string;
  /** A `.wh.<name>` entry: `path` is the deleted path (the whiteout's target). */
  whiteout?: boolean;
  /** A `.wh..wh..opq` entry: `path` is the directory made opaque. */
  opaque?: boolean;
}

export interface LayerReport {
  /** Where it is in the archive (member path, or blob digest for OCI), or the file name for a lone layer. */
  source: string;
  compression: Compression;
  /** Bytes as stored in the archive. */
  storedSize: number;
  /** Bytes of the uncompressed tar. */
  tarSize: number;
  /** sha256 of the uncompressed tar, computed. */
  diffID: string;
  /** What the config says it must be (rootfs.diff_ids), when there is a config. */
  expectedDiffID?: string;
  diffIDVerified: Verified;
  /** Digest of the stored bytes, computed; compared with the descriptor's when there is one. */
  storedDigest: string;
  expectedStoredDigest?: string;
  storedDigestVerified: Verified;
  entries: FileEntry[];
  /** Set when the layer could not be read to its end (corrupt or truncated); the rest is partial. */
  error?: string;
}

export type ChangeKind = "added" | "changed" | "deleted" | "unchanged";

export interface TreeNode {
  name: string;
  /** Full path ("" for the root). */
  path: string;
  entry?: FileEntry;
  children?: TreeNode[];
  /** In a layer's tree: what this layer did to the path. In the merged tree: "unchanged" or the last layer's change. */
  change: ChangeKind;
  /** Index (in the image's layers) of the layer that last set this path. */
  layer?: number;
}

export interface HistoryStep {
  created?: string;
  createdBy: string;
  comment?: string;
  emptyLayer: boolean;
  /** Index in the image's layers of the layer this step made; undefined for empty-layer steps. */
  layer?: number;
}

export interface Inefficiency {
  /** Without a leading "/" (dive prints one), like every path here. */
  path: string;
  /** How many layers hold the path. */
  count: number;
  /** Bytes of the path summed over those layers. */
  cumulativeSize: number;
}

/** dive's definitions (image/docker + filetree.Efficiency). */
export interface EfficiencyReport {
  /** minimum path sizes / discovered path sizes, 1 when nothing was discovered. */
  score: number;
  /** Bytes of paths present in two or more layers (their cumulative sizes). */
  wastedBytes: number;
  /** Bytes of all layers but the first (dive's "user" size). */
  userSizeBytes: number;
  /** wastedBytes / userSizeBytes (0 when there is no user layer). */
  userWastedPercent: number;
  totalSizeBytes: number;
  /** Largest wasted paths first. */
  inefficiencies: Inefficiency[];
}

export interface ImageReport {
  /** sha256 of the config bytes ("" for a lone layer, which has no config). */
  id: string;
  /** Expected ID from the archive (config file name / descriptor digest), compared with `id`. */
  idVerified: Verified;
  tags: string[];
  /** The manifest as stored (OCI), or the manifest.json entry. */
  manifestRaw?: string;
  /** The config exactly as stored: the bytes the ID is computed over. */
  configRaw: string;
  os?: string;
  architecture?: string;
  /** Indexes into ArchiveReport.layers, bottom first. */
  layers: number[];
  history: HistoryStep[];
  merged: TreeNode;
  /** Optional (added for the web inspector): each layer's own tree, parallel to `layers`, marked against the layers below it. */
  layerTrees?: TreeNode[];
  efficiency: EfficiencyReport;
}

export interface ArchiveReport {
  label: string;
  kind: ArchiveKind;
  images: ImageReport[];
  layers: LayerReport[];
  /** Problems with the archive as a whole (missing manifest, unreadable config, …). */
  errors: string[];
}

export interface InspectOptions {
  onProgress?(doneBytes: number, totalBytes: number): void;
}
