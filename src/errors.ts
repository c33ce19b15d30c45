/**
 * Typed errors with a stable `code`. Callers branch on `code`, never on message text;
 * the CLI prints `message` as the one-line error.
 */
export type WharfErrorCode =
  | "TAR_CHECKSUM" // header checksum does not match
  | "TAR_TRUNCATED" // stream ended inside a header or a body
  | "TAR_HEADER" // a header field cannot be parsed
  | "TAR_PAX" // malformed PAX record
  | "TAR_SPLIT" // tar-split records malformed, CRC mismatch, missing file
  | "DIGEST_MISMATCH" // content does not hash to the expected digest
  | "COMPRESSION" // corrupt gzip/zstd stream
  | "UNSUPPORTED" // the runtime lacks an ability (e.g. mounts in a browser)
  | "MOUNT" // mount/umount failed; `errno` carries the errno name
  | "IO" // file system operation failed; `errno` carries the errno name when known
  | "PROCESS" // a subprocess failed
  | "USAGE" // bad command-line input
  | "UNSAFE_PATH" // a layer entry would write outside its layer (.., absolute, through a symlink, link out)
  | "DRIVER" // no usable graph driver, or the one asked for cannot run here
  | "NOT_FOUND"
  | "LOCKED" // the data-root is held by another live process
  | "INVALID_REFERENCE" // an image reference that does not parse (Docker's messages)
  | "CONFLICT" // a tag or digest already points elsewhere and may not be moved
  | "INVALID_ARCHIVE" // a `docker save` archive or OCI layout that is malformed or unsafe
  | "REGISTRY" // a registry answered with an error (its code, e.g. MANIFEST_UNKNOWN, in `registryCode`)
  | "UNAUTHORIZED" // a registry refused the credentials, or asked for some and none were given
  | "NETWORK" // a registry could not be reached, or a connection broke and could not be resumed
  | "INVALID_ARGUMENT";

export class WharfError extends Error {
  readonly code: WharfErrorCode;
  /** errno name (`EPERM`, `ENOENT`, ...) when the failure came from the OS. */
  readonly errno?: string;
  constructor(code: WharfErrorCode, message: string, options?: { errno?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "WharfError";
    this.code = code;
    if (options?.errno) this.errno = options.errno;
  }
}

export function isWharfError(e: unknown, code?: WharfErrorCode): e is WharfError {
  return e instanceof WharfError && (code === undefined || e.code === code);
}
