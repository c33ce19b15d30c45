import { defineCommand } from "citty";
import { WharfError } from "../src/errors.ts";
import { cliContext } from "./context.ts";
import { withStore } from "./store.ts";
import { argumentList } from "./flags.ts";

export default argumentList(defineCommand({
  meta: { name: "diff", description: "Inspect changes to files or directories on a container's filesystem" },
  args: {},
  async run({ args }) {
    const ctx = await cliContext();
    if (args._.length !== 1) throw new WharfError("USAGE", '"diff" requires exactly 1 argument: CONTAINER');
    await withStore(ctx, async (store) => {
      const container = store.containers.get(args._[0]!);
      const layer = store.layers.getRWLayer(container.id);
      if (!layer) throw new WharfError("NOT_FOUND", `container ${container.id} has no read-write layer`);
      // moby ContainerChanges: archive.Changes sorted by path; the CLI prints "{{.Type}} {{.Path}}".
      const lines = (await layer.changes()).map((c) => `${c.kind} ${c.path}\n`);
      await ctx.out(lines.join(""));
    });
  },
}));
