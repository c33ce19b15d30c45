/** glibc through `Deno.dlopen`. Calls are synchronous so errno is read on the calling thread. */
import type { DenoApi, DenoPointer } from "./deno-api.ts";
import { bindLibc, LIBC_SIGNATURES, type CType, type Libc, type LibcSymbols } from "./libc.ts";

const DENO_TYPES = { ptr: "buffer", i32: "i32", u32: "u32", u64: "u64", ssize: "isize" } as const satisfies Record<CType, string>;

export function openDenoLibc(deno: DenoApi): Libc {
  const signatures = Object.fromEntries(
    Object.entries(LIBC_SIGNATURES).map(([name, sig]) => [
      name,
      // __errno_location returns a pointer value, not a buffer.
      { parameters: sig.args.map((t) => DENO_TYPES[t]), result: name === "__errno_location" ? "pointer" : DENO_TYPES[sig.returns] },
    ]),
  );
  const { symbols } = deno.dlopen("libc.so.6", signatures as Parameters<DenoApi["dlopen"]>[1]);
  return bindLibc(symbols as LibcSymbols, (errnoPointer) => new deno.UnsafePointerView(errnoPointer as DenoPointer).getInt32());
}
