/**
 * The part of the `Deno` namespace the Deno adapter uses, typed here so `tsc` (which has no
 * Deno lib) checks that file; read from `globalThis.Deno` at run time.
 */
export interface DenoFileInfo {
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
  isCharDevice: boolean | null;
  isBlockDevice: boolean | null;
  isFifo: boolean | null;
  isSocket: boolean | null;
  size: number;
  mtime: Date | null;
  mode: number | null;
  uid: number | null;
  gid: number | null;
  ino: number | null;
  dev: number;
  nlink: number | null;
  rdev: number | null;
}

export interface DenoFsFile {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  writeSync(p: Uint8Array): number;
  seek(offset: number, whence: 0 | 1 | 2): Promise<number>;
  sync(): Promise<void>;
  close(): void;
}

export interface DenoOpenOptions {
  read?: boolean;
  write?: boolean;
  append?: boolean;
  truncate?: boolean;
  create?: boolean;
  createNew?: boolean;
  mode?: number;
}

export type DenoFfiType = "i32" | "u32" | "u64" | "isize" | "buffer" | "pointer" | "void";
export interface DenoForeignFunction {
  parameters: DenoFfiType[];
  result: DenoFfiType;
}
export type DenoPointer = object | null;

export interface DenoChildProcess {
  stdin: WritableStream<Uint8Array>;
  output(): Promise<{ code: number; stdout: Uint8Array; stderr: Uint8Array }>;
}

export interface DenoStdStream {
  isTerminal(): boolean;
}

export interface DenoApi {
  open(path: string, options: DenoOpenOptions): Promise<DenoFsFile>;
  readFile(path: string): Promise<Uint8Array>;
  readFileSync(path: string): Uint8Array;
  lstatSync(path: string): DenoFileInfo;
  readDirSync(path: string): Iterable<{ name: string }>;
  chmodSync(path: string, mode: number): void;
  mkdirSync(path: string, options?: { recursive?: boolean; mode?: number }): void;
  symlinkSync(target: string, path: string): void;
  linkSync(existing: string, path: string): void;
  openSync(path: string, options: DenoOpenOptions): DenoFsFile & { readSync(p: Uint8Array): number | null; seekSync(offset: number, whence: number): number };
  writeFileSync(path: string, data: Uint8Array, options?: { mode?: number }): void;
  renameSync(from: string, to: string): void;
  writeFile(path: string, data: Uint8Array, options?: { mode?: number }): Promise<void>;
  mkdir(path: string, options?: { recursive?: boolean; mode?: number }): Promise<void>;
  readDir(path: string): AsyncIterable<{ name: string }>;
  lstat(path: string): Promise<DenoFileInfo>;
  stat(path: string): Promise<DenoFileInfo>;
  rename(from: string, to: string): Promise<void>;
  remove(path: string, options?: { recursive?: boolean }): Promise<void>;
  symlink(target: string, path: string): Promise<void>;
  readLink(path: string): Promise<string>;
  link(existing: string, path: string): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  makeTempDir(options: { prefix?: string; dir?: string }): Promise<string>;
  dlopen(path: string, symbols: Record<string, DenoForeignFunction>): {
    symbols: Record<string, (...args: unknown[]) => unknown>;
    close(): void;
  };
  UnsafePointerView: new (pointer: DenoPointer) => { getInt32(offset?: number): number };
  Command: new (
    cmd: string,
    options: {
      args: string[];
      cwd?: string;
      env?: Record<string, string>;
      clearEnv?: boolean;
      stdin: "piped" | "null";
      stdout: "piped";
      stderr: "piped";
    },
  ) => { spawn(): DenoChildProcess };
  stdin: DenoStdStream & { readable: ReadableStream<Uint8Array> };
  stdout: DenoStdStream & { writable: WritableStream<Uint8Array> };
  stderr: DenoStdStream & { writable: WritableStream<Uint8Array> };
  env: { get(name: string): string | undefined };
  args: string[];
  cwd(): string;
  chdir(path: string): void;
  uid(): number | null;
  build: { os: string; arch: string };
  exit(code: number): never;
}
