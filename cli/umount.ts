import { defineCommand } from "citty";
import { containerLayer } from "../src/container/remove.ts";
import { WharfError } from "../src/errors.ts";
import { cliContext } from "./context.ts";
import { withStore } from "./store.ts";

export default defineCommand({
  meta: { name: "umount", description: "Release one mount of a container's root filesystem (the last one unmounts)" },
  args: { container: { type: "positional", required: false, description: "CONTAINER" } },
  async run({ args }) {
    const ctx = await cliContext();
    if (args._.length !== 1) throw new WharfError("USAGE", '"umount" requires exactly 1 argument: CONTAINER');
    await withStore(ctx, async (store) => {
      await containerLayer(store, store.containers.get(args._[0]!)).unmount();
    });
  },
});
