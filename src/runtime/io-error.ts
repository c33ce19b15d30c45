/** Turns a runtime's file-system error into `WharfError('IO')` carrying the errno name. */
import { WharfError, isWharfError } from "../errors.ts";

/** The errno name Node, Bun and Deno all put on their fs errors as `code`. */
export function errorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

export function ioError(op: string, path: string, e: unknown): WharfError {
  if (isWharfError(e)) return e;
  const errno = errorCode(e);
  return new WharfError("IO", `${op} ${path}: ${errno ?? (e as Error)?.message ?? String(e)}`, { errno, cause: e });
}

/** Runs `fn`, rethrowing any failure as `WharfError('IO')`. */
export async function io<T>(op: string, path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw ioError(op, path, e);
  }
}

/** `io` for a synchronous call. */
export function ioSync<T>(op: string, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw ioError(op, path, e);
  }
}
