// `FILE|-` arguments: a path, or `-` for standard input.
import { openTarFile, openTarStream, type TarInput } from "../src/tar/input.ts";
import { TarReader, type TarEntry } from "../src/tar/reader.ts";
import { WharfError } from "../src/errors.ts";
import type { CliContext } from "./context.ts";

export async function openTarArgument(ctx: CliContext, arg: string | undefined): Promise<TarInput> {
  if (!arg) throw new WharfError("USAGE", "missing FILE argument (a path, or - for standard input)");
  const { runtime } = ctx;
  if (arg === "-") return openTarStream(ctx.stdio.stdin(), runtime);
  const files = runtime.files;
  if (!files) throw new WharfError("UNSUPPORTED", `${runtime.name} has no file system`);
  const info = await files.stat(arg);
  if (!info) throw new WharfError("NOT_FOUND", `${arg}: no such file`);
  if (info.kind === "dir") throw new WharfError("INVALID_ARGUMENT", `${arg}: is a directory, not a tar file`);
  return openTarFile(await files.open(arg, "r"), runtime);
}

/**
 * Reads the whole tar, entry by entry (bodies skipped unless `onEntry` reads them), then what
 * follows the end marker, so the input's digests cover every byte. Stops reading on error.
 */
export async function walkTar(input: TarInput, onEntry: (entry: TarEntry) => Promise<void>): Promise<void> {
  const reader = new TarReader(input.source);
  try {
    for await (const entry of reader) {
      await onEntry(entry);
      await entry.skip();
    }
    for await (const _ of reader.trailing()) continue;
  } catch (e) {
    await input.cancel(e).catch(() => {});
    throw e;
  }
}
