// `FILE|-` arguments: a path, or `-` for standard input.
import { openTarFile, openTarStream, type TarInput } from "../src/tar/input.ts";
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
