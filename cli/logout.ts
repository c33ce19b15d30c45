import { defineCommand } from "citty";
import { DOCKER_HUB_DOMAIN } from "../src/distribution/client.ts";
import { dockerConfigPath, removeCredentials } from "../src/distribution/credentials.ts";
import { cliContext } from "./context.ts";
import { registryDomain } from "./registry-common.ts";

export default defineCommand({
  meta: { name: "logout", description: "Log out from a registry (remove its credentials from Docker's config.json)" },
  args: {
    server: { type: "positional", required: false, description: "Registry host[:port] (default: Docker Hub)" },
  },
  async run({ args }) {
    const ctx = await cliContext();
    const domain = registryDomain(args.server ?? DOCKER_HUB_DOMAIN);
    const removed = await removeCredentials(ctx.runtime.files!, dockerConfigPath(ctx.runtime.env!), domain, ctx.runtime.processes);
    await ctx.out(removed ? `Removing login credentials for ${domain}\n` : `Not logged in to ${domain}\n`);
  },
});
