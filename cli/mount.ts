import { defineCommand } from "citty";
import { containerLayer } from "../src/container/remove.ts";
import { WharfError } from "../src/errors.ts";
import { cliContext } from "./context.ts";
import { withStore } from "./store.ts";

export default defineCommand({
  meta: { name: "mount", description: "Mount a container's root filesystem and print its path (each mount needs an umount)" },
  args: { container: { type: "positional", required: false, description: "CONTAINER" } },
  async run({ args }) {
    const ctx = await cliContext();
    if (args._.length !== 1) throw new WharfError("USAGE", '"mount" requires exactly 1 argument: CONTAINER');
    await withStore(ctx, async (store) => {
      const layer = containerLayer(store, store.containers.get(args._[0]!));
      await ctx.out(`${await layer.mount()}\n`);
    });
  },
});
