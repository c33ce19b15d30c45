import { defineCommand } from "citty";
import { saveImages } from "../src/tarexport/save.ts";
import { writeFileAtomic } from "../src/fs/atomic.ts";
import { layerTarChunks } from "../src/io/chunk-pool.ts";
import { WharfError } from "../src/errors.ts";
import { cliContext } from "./context.ts";
import { withStore } from "./store.ts";
import { progressBar } from "./progress.ts";
import { argumentList } from "./flags.ts";

export default argumentList(defineCommand({
  meta: { name: "save", description: "Save one or more images to a tar archive (streamed to STDOUT by default)" },
  args: {
    output: { type: "string", alias: "o", description: "Write to a file, instead of STDOUT" },
    format: { type: "string", description: "Archive form: legacy (Docker <= 24, default) or oci (Docker >= 25 layout)" },
  },
  async run({ args }) {
    const ctx = await cliContext();
    const names = args._;
    if (names.length === 0) throw new WharfError("USAGE", '"save" requires at least 1 argument: IMAGE [IMAGE...]');
    const format = args.format ?? "legacy";
    if (format !== "legacy" && format !== "oci") throw new WharfError("USAGE", `unknown --format "${format}" (want legacy or oci)`);
    if (!args.output && ctx.stdio.isTerminal(1)) {
      throw new WharfError("USAGE", "cowardly refusing to save to a terminal. Use the -o flag or redirect");
    }
    await withStore(ctx, async (store) => {
      const tar = await saveImages(store, names, { runtime: ctx.runtime, format });
      if (!args.output) return tar.pipeTo(ctx.stdio.stdout, { preventClose: true });
      const bar = progressBar(ctx, "Saving");
      let written = 0;
      const counted = tar.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            written += chunk.length;
            bar.update(written);
            controller.enqueue(chunk);
          },
        }),
      );
      // Temp file, fsync, rename: a failed save never leaves a half archive under the name asked for.
      // The archive's chunks are ours alone: each layer chunk's buffer is reused once written.
      await writeFileAtomic(ctx.runtime.files!, args.output, counted, { mode: 0o644, recycle: (c) => layerTarChunks.release(c) }).finally(() => bar.done());
    });
  },
}));
