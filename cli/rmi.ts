import { defineCommand } from "citty";
import { deleteImage } from "../src/images/delete.ts";
import { WharfError } from "../src/errors.ts";
import { cliContext } from "./context.ts";
import { withStore } from "./store.ts";
import { argumentList } from "./flags.ts";

export default argumentList(defineCommand({
  meta: { name: "rmi", description: "Remove one or more images" },
  args: {
    force: { type: "boolean", alias: "f", description: "Force removal of the image" },
    "no-prune": { type: "boolean", description: "Do not delete untagged parents" },
  },
  async run({ args }) {
    const ctx = await cliContext();
    const names = args._;
    if (names.length === 0) throw new WharfError("USAGE", '"rmi" requires at least 1 argument: IMAGE [IMAGE...]');
    // Like docker: every image is tried; errors are reported one per line and make the exit code 1.
    const errors: string[] = [];
    await withStore(ctx, async (store) => {
      for (const name of names) {
        try {
          for (const r of await deleteImage(store, name, { force: args.force, prune: !args["no-prune"] })) {
            await ctx.out("untagged" in r ? `Untagged: ${r.untagged}\n` : `Deleted: ${r.deleted}\n`);
          }
        } catch (e) {
          errors.push(e instanceof Error ? e.message : String(e));
        }
      }
    });
    if (errors.length === 1) throw new WharfError("CONFLICT", errors[0]!);
    if (errors.length > 1) {
      for (const e of errors.slice(0, -1)) await ctx.err(`wharf: ${e}\n`);
      throw new WharfError("CONFLICT", errors[errors.length - 1]!);
    }
  },
}));
