/**
 * File access by layer path for tar-split reassembly (moby `FileGetter`): regular files under
 * the layer directory only; names are cleaned and may not climb out or pass through symlinks.
 */
import { isWharfError } from "../errors.ts";
import type { DirFileReader, FileHandle, FileInfo, FilesPort } from "../ports.ts";
import { entryPath, joinPath } from "../archive/path.ts";
import { fileReadable } from "../io/file-stream.ts";
import { chunksReadable } from "../io/bytes.ts";
import type { DiffGetter } from "./driver.ts";

/** An open file as a ByteSource that knows its size (the reader can skip its end probe). */
/** Files up to this size are read whole in one call where the runtime offers it. */
const SMALL_FILE = 64 << 10;

export interface SizedFile {
  read(into: Uint8Array): Promise<number>;
  close(): Promise<void>;
  readonly size: number;
}

export function layerFileGetter(files: FilesPort, dir: string, release: () => Promise<void>): DiffGetter {
  let closed = false;
  // The layer is committed (read-only): a directory found real once stays so for this getter.
  // Promises, so concurrent reads under one directory check it once.
  const realDirs = new Map<string, Promise<boolean>>();
  const isRealDir = (path: string): Promise<boolean> => {
    let known = realDirs.get(path);
    if (!known) {
      known = files.lstat(path).then((info) => info?.kind === "dir");
      realDirs.set(path, known);
    }
    return known;
  };
  // The answer per parent once known, so the in-place reads check it without waiting.
  const parentKnown = new Map<string, boolean>();
  const readFileInto = files.readFileInto?.bind(files);
  const reader = LayerFileReader.of(files, dir);
  const readSync = reader && ((path: string, into: Uint8Array) => reader.read(path, into));
  return {
    async get(path: string) {
      const rel = layerRel(path);
      if (rel === null) return null;
      // Every parent must be a real directory: a symlinked parent would read outside the layer.
      const slash = rel.lastIndexOf("/");
      if (slash > 0 && !(await parentsReal(dir, rel.slice(0, slash), isRealDir))) return null;
      const abs = joinPath(dir, rel);
      if (files.readSmallFile) {
        const bytes = await files.readSmallFile(abs, SMALL_FILE);
        if (bytes === null) return null;
        if (bytes !== undefined) return Object.assign(chunksReadable(bytes.length > 0 ? [bytes] : []), { bytes });
      }
      const info = await files.lstat(abs);
      if (info?.kind !== "file") return null;
      // A stream, as the getter promises; tar-split reassembly reads `source` directly.
      const handle = await files.open(abs, "r");
      return Object.assign(fileReadable(handle, undefined, info.size), { source: sizedFile(handle, info.size) });
    },
    readInto: readSync ?? (readFileInto && ((path: string, into: Uint8Array) => {
      const rel = layerRel(path);
      if (rel === null) return null;
      const slash = rel.lastIndexOf("/");
      const parent = slash > 0 ? rel.slice(0, slash) : "";
      const known = parent === "" || parentKnown.get(parent);
      if (known === true) return readFileInto(joinPath(dir, rel), into);
      if (known === false) return null;
      return parentsReal(dir, parent, isRealDir).then((real) => {
        parentKnown.set(parent, real);
        return real ? readFileInto(joinPath(dir, rel), into) : null;
      });
    })),
    dir,
    async close() {
      if (closed) return;
      closed = true;
      reader?.close();
      await release();
    },
  };
}

/**
 * The getter's `readInto` in blocking calls, where the runtime offers them: the same rules
 * (clean names, real parent directories, regular files only), so a worker thread can read a
 * layer's files by name exactly as the getter would, large ones piece by piece. A class, not a
 * closure per layer: hot callers then see one call target for every layer.
 */
export class LayerFileReader {
  /** Whether each directory (relative path) is a real one. */
  private readonly realDirs = new Map<string, boolean>();

  private constructor(
    private readonly files: Required<Pick<FilesPort, "readFileInto" | "readFileAt" | "lstatSync">>,
    readonly dir: string,
    /** The runtime's reader relative to `dir`, when it has one: it checks the directories itself. */
    private readonly byDir: DirFileReader | undefined,
  ) {}

  /** Undefined when the runtime has no blocking reads. Close it when done. */
  static of(files: FilesPort, dir: string): LayerFileReader | undefined {
    if (!files.readFileInto || !files.readFileAt || !files.lstatSync) return undefined;
    return new LayerFileReader(files as Required<FilesPort>, dir, files.openDirReader?.(dir));
  }

  /** Releases what the runtime's directory reader holds open. */
  close(): void {
    this.byDir?.close();
  }

  /**
   * With no `position`, as FilesPort.readFileInto (the whole file into `into`); from
   * `position`, as FilesPort.readFileAt (a piece of it).
   */
  read(name: string, into: Uint8Array, position?: number): number | null | undefined {
    const rel = layerRel(name);
    if (rel === null) return null;
    if (this.byDir) return position === undefined ? this.byDir.readFileInto(rel, into) : this.byDir.readFileAt(rel, into, position);
    const slash = rel.lastIndexOf("/");
    if (slash > 0 && !parentsRealSync(this.dir, rel.slice(0, slash), this.files, this.realDirs)) return null;
    const path = joinPath(this.dir, rel);
    return position === undefined ? this.files.readFileInto(path, into) : this.files.readFileAt(path, into, position);
  }
}

/** A record name as a clean path inside the layer; null when it climbs out or is the root. */
function layerRel(path: string): string | null {
  let rel: string;
  try {
    rel = entryPath(path.startsWith("/") ? path.slice(1) : path);
  } catch (e) {
    if (isWharfError(e, "UNSAFE_PATH")) return null;
    throw e;
  }
  return rel === "." ? null : rel;
}

/** Checks each ancestor of `parent` (inside `dir`), nearest the root first; cached per directory. */
async function parentsReal(dir: string, parent: string, isRealDir: (path: string) => Promise<boolean>): Promise<boolean> {
  let at = dir;
  for (const part of parent.split("/")) {
    at = joinPath(at, part);
    if (!(await isRealDir(at))) return false;
  }
  return true;
}

/** parentsReal in blocking calls; `known` caches whether each directory (relative path) is real. */
function parentsRealSync(dir: string, parent: string, files: Pick<Required<FilesPort>, "lstatSync">, known: Map<string, boolean>): boolean {
  // A directory is marked real only after its ancestors were: one lookup for a known parent.
  if (known.get(parent) === true) return true;
  let rel = "";
  for (const part of parent.split("/")) {
    rel = rel === "" ? part : `${rel}/${part}`;
    let real = known.get(rel);
    if (real === undefined) {
      real = files.lstatSync(joinPath(dir, rel))?.kind === "dir";
      known.set(rel, real);
    }
    if (!real) return false;
  }
  return true;
}

function sizedFile(handle: FileHandle, size: number): SizedFile {
  return { read: (into) => handle.read(into), close: () => handle.close(), size };
}
