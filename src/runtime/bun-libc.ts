/**
 * glibc through `bun:ffi`. Calls are synchronous so errno is read on the calling thread.
 * bun:ffi is imported dynamically so a browser bundle carries no top-level import of it.
 */
import type { FFITypeName, Pointer } from "bun:ffi";
import { bindLibc, lazyLibc, LIBC_SIGNATURES, type CType, type Libc, type LibcSymbols } from "./libc.ts";

const BUN_TYPES: Record<CType, FFITypeName> = { ptr: "ptr", i32: "i32", u32: "u32", u64: "u64", ssize: "i64" };

export async function openBunLibc(): Promise<Libc> {
  const { dlopen, read } = await import("bun:ffi");
  const signatures = Object.fromEntries(
    Object.entries(LIBC_SIGNATURES).map(([name, sig]) => [name, { args: sig.args.map((t) => BUN_TYPES[t]), returns: BUN_TYPES[sig.returns] }]),
  );
  // dlopen on first call: most commands never need libc.
  return lazyLibc(() => {
    const { symbols } = dlopen("libc.so.6", signatures);
    return bindLibc(symbols as LibcSymbols, (errnoPointer) => read.i32(errnoPointer as Pointer, 0));
  });
}
