import { defineCommand } from "citty";
import { exportContainer } from "../src/container/export.ts";
import { writeFileAtomic } from "../src/fs/atomic.ts";
import { WharfError } from "../src/errors.ts";
import type { Store } from "../src/store/root.ts";
import { cliContext, type CliContext } from "./context.ts";
import { withStore } from "./store.ts";
import { argumentList } from "./flags.ts";

/**
 * Streams a tar to `-o FILE` (temp file, fsync, rename: never half an archive under that name)
 * or to stdout, refusing a terminal as docker export does.
 */
export async function writeTarOutput(ctx: CliContext, output: string | undefined, make: (store: Store) => Promise<ReadableStream<Uint8Array>>): Promise<void> {
  if (!output && ctx.stdio.isTerminal(1)) {
    throw new WharfError("USAGE", "cowardly refusing to save to a terminal. Use the -o flag or redirect");
  }
  await withStore(ctx, async (store) => {
    const tar = await make(store);
    if (!output) return tar.pipeTo(ctx.stdio.stdout, { preventClose: true });
    await writeFileAtomic(ctx.runtime.files!, output, tar, { mode: 0o644 });
  });
}

export default argumentList(defineCommand({
  meta: { name: "export", description: "Export a container's filesystem as a tar archive" },
  args: {
    output: { type: "string", alias: "o", description: "Write to a file, instead of STDOUT" },
  },
  async run({ args }) {
    const ctx = await cliContext();
    if (args._.length !== 1) throw new WharfError("USAGE", '"export" requires exactly 1 argument: CONTAINER');
    await writeTarOutput(ctx, args.output, (store) => exportContainer(store, args._[0]!));
  },
}));
