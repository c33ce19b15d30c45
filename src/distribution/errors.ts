/**
 * Errors a registry sends back (distribution's `errcode`): a JSON body `{"errors":[{"code",
 * "message","detail"}]}`. They become one WharfError whose message reads like Docker's
 * (`unauthorized: authentication required`, `manifest unknown: manifest unknown`) followed by
 * the code itself (`(MANIFEST_UNKNOWN)`), and whose `registryCode` keeps the first code for
 * callers to branch on.
 */
import { WharfError, type WharfErrorCode } from "../errors.ts";
import { concatBytes } from "../io/bytes.ts";

export class RegistryError extends WharfError {
  /** The registry's code (`MANIFEST_UNKNOWN`, `BLOB_UNKNOWN`, `DENIED`, …), or `HTTP_<status>`. */
  readonly registryCode: string;
  readonly status: number;
  constructor(code: WharfErrorCode, message: string, registryCode: string, status: number) {
    super(code, message);
    this.registryCode = registryCode;
    this.status = status;
  }
}

interface ErrorEntry {
  code?: unknown;
  message?: unknown;
}

/** `MANIFEST_UNKNOWN` → `manifest unknown`, as errcode.ErrorCode.Error() prints it. */
function codeWords(code: string): string {
  return code.toLowerCase().replace(/_/g, " ");
}

/**
 * The error for a failed response, its body read (bounded: a registry's error is small).
 * `what` says what was asked (`manifest for 127.0.0.1:5000/x:1`), prefixed where it helps.
 */
export async function registryError(response: Response, what: string): Promise<RegistryError> {
  let entries: ErrorEntry[] = [];
  try {
    const text = await errorBodyText(response);
    const body = JSON.parse(text) as { errors?: unknown };
    if (Array.isArray(body.errors)) entries = body.errors as ErrorEntry[];
  } catch {
    // not JSON: the status says it all
  }
  const first = entries.find((e) => typeof e.code === "string");
  const status = response.status;
  const registryCode = typeof first?.code === "string" ? first.code : status === 401 ? "UNAUTHORIZED" : `HTTP_${status}`;
  const detail = first
    ? entries
        .filter((e) => typeof e.code === "string")
        .map((e) => `${codeWords(e.code as string)}: ${typeof e.message === "string" && e.message ? e.message : codeWords(e.code as string)} (${e.code as string})`)
        .join(", ")
    : status === 401 ? "unauthorized: authentication required"
    : `unexpected status ${status} ${response.statusText}`.trimEnd();
  const wharfCode: WharfErrorCode = registryCode === "UNAUTHORIZED" || registryCode === "DENIED" ? "UNAUTHORIZED" : "REGISTRY";
  const subject = registryCode === "MANIFEST_UNKNOWN" && status === 404 ? `${what} not found` : what;
  return new RegistryError(wharfCode, `${subject}: ${detail}`, registryCode, status);
}

const ERROR_BODY_LIMIT = 64 * 1024;
const ERROR_BODY_WAIT_MS = 2_000;

/**
 * An error body, bounded in size and in time: distribution 2.8 answers a 416 with the blob's
 * Content-Length over a 33-byte body, so reading "to the end" would wait forever.
 */
async function errorBodyText(response: Response): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ERROR_BODY_WAIT_MS);
  });
  try {
    while (size < ERROR_BODY_LIMIT) {
      const result = await Promise.race([reader.read(), timeout]);
      if (result === "timeout" || result.done) break;
      parts.push(result.value);
      size += result.value.byteLength;
    }
  } catch {
    // a broken error body: the status still says what happened
  } finally {
    clearTimeout(timer);
    reader.cancel().catch(() => {});
  }
  return new TextDecoder().decode(concatBytes(parts, size).subarray(0, ERROR_BODY_LIMIT));
}

/** A fetch that failed below HTTP (refused, reset, TLS), as one line naming the URL. */
export function networkError(url: string, cause: unknown): WharfError {
  const reason = cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause);
  return new WharfError("NETWORK", `${url}: ${reason}`, { cause });
}
