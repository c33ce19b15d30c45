import { defineCommand } from "citty";
import { pruneImages } from "../src/images/prune.ts";
import { humanSize } from "../src/format/units.ts";
import { readAll } from "../src/io/bytes.ts";
import { cliContext } from "./context.ts";
import { withStore } from "./store.ts";

export default defineCommand({
  meta: { name: "prune", description: "Remove unused images" },
  args: {
    all: { type: "boolean", alias: "a", description: "Remove all unused images, not just dangling ones" },
    force: { type: "boolean", alias: "f", description: "Do not prompt for confirmation" },
  },
  async run({ args }) {
    const ctx = await cliContext();
    if (!args.force) {
      const warning = args.all
        ? "WARNING! This will remove all images without at least one container associated to them."
        : "WARNING! This will remove all dangling images.";
      await ctx.out(`${warning}\nAre you sure you want to continue? [y/N] `);
      const answer = new TextDecoder().decode(await readLine(ctx.stdio.stdin())).trim().toLowerCase();
      if (answer !== "y" && answer !== "yes") return;
    }
    await withStore(ctx, async (store) => {
      const report = await pruneImages(store, { all: args.all });
      if (report.records.length > 0) {
        await ctx.out("Deleted Images:\n");
        for (const r of report.records) await ctx.out("untagged" in r ? `untagged: ${r.untagged}\n` : `deleted: ${r.deleted}\n`);
        await ctx.out("\n");
      }
      await ctx.out(`Total reclaimed space: ${humanSize(report.reclaimed)}\n`);
    });
  },
});

/** The first line of stdin (the confirmation answer); reads no further than it needs. */
async function readLine(stdin: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const line = stdin.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        const nl = chunk.indexOf(0x0a);
        if (nl < 0) return controller.enqueue(chunk);
        controller.enqueue(chunk.subarray(0, nl));
        controller.terminate();
      },
    }),
  );
  return readAll(line, 4096, "answer").catch(() => new Uint8Array(0));
}
