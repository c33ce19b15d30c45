import { defineCommand } from "citty";
import { WharfError } from "../src/errors.ts";
import { cliContext } from "./context.ts";
import { openTarArgument, walkTar } from "./input.ts";

export default defineCommand({
  meta: { name: "digest", description: "diffID of a tar (sha256 of the uncompressed bytes), and its blob digest when compressed" },
  args: {
    file: { type: "positional", description: "Tar file (plain, gzip or zstd), or - for stdin", required: true },
    format: { type: "string", alias: "f", description: "Output format: text (default) or json" },
  },
  async run({ args }) {
    const format = args.format ?? "text";
    if (format !== "text" && format !== "json") throw new WharfError("USAGE", `unknown --format "${format}" (want text or json)`);
    const ctx = await cliContext();
    const input = await openTarArgument(ctx, args.file);
    // Parse while hashing: a file that is not a tar fails here instead of getting a digest.
    let entries = 0;
    await walkTar(input, async () => void entries++);
    const diff = input.diffID();
    const blob = input.blobDigest();
    const result = {
      DiffID: diff.digest,
      Size: diff.size,
      Entries: entries,
      Compression: input.compression,
      ...(blob ? { Digest: blob.digest, CompressedSize: blob.size } : {}),
    };
    if (format === "json") return ctx.out(JSON.stringify(result) + "\n");
    const lines = [`diffID:       ${diff.digest}`, `size:         ${diff.size}`, `entries:      ${entries}`, `compression:  ${input.compression}`];
    if (blob) lines.push(`digest:       ${blob.digest}`, `blob size:    ${blob.size}`);
    await ctx.out(lines.join("\n") + "\n");
  },
});
