/** The part of `bun:ffi` the Bun adapter uses (no @types/bun in this project). */
declare module "bun:ffi" {
  type FFITypeName = "i32" | "u32" | "i64" | "u64" | "ptr" | "void";
  export type Pointer = number;
  export function dlopen<S extends Record<string, { args: FFITypeName[]; returns: FFITypeName }>>(
    path: string,
    symbols: S,
  ): { symbols: { [K in keyof S]: (...args: unknown[]) => unknown }; close(): void };
  export const read: { i32(ptr: Pointer, byteOffset?: number): number };
}
