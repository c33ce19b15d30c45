import { defineCommand } from "citty";
import { RegistryClient } from "../src/distribution/client.ts";
import { dockerConfigPath, storeCredentials } from "../src/distribution/credentials.ts";
import { DOCKER_HUB_DOMAIN } from "../src/distribution/client.ts";
import { readAll } from "../src/io/bytes.ts";
import { WharfError } from "../src/errors.ts";
import { cliContext } from "./context.ts";
import { insecureRegistries, insecureRegistryArg, registryDomain } from "./registry-common.ts";

export default defineCommand({
  meta: { name: "login", description: "Log in to a registry; credentials go to Docker's config.json (mode 0600)" },
  args: {
    server: { type: "positional", required: false, description: "Registry host[:port] (default: Docker Hub)" },
    username: { type: "string", alias: "u", description: "Username" },
    password: { type: "string", alias: "p", description: "Password (visible to other users of this machine: prefer --password-stdin)" },
    "password-stdin": { type: "boolean", description: "Take the password from stdin" },
    ...insecureRegistryArg,
  },
  async run({ args }) {
    const ctx = await cliContext();
    const domain = registryDomain(args.server ?? DOCKER_HUB_DOMAIN);
    if (args.password !== undefined && args["password-stdin"]) throw new WharfError("USAGE", "--password and --password-stdin are mutually exclusive");
    let password = args.password;
    if (args["password-stdin"]) {
      if (!args.username) throw new WharfError("USAGE", "must provide --username with --password-stdin");
      password = new TextDecoder().decode(await readAll(ctx.stdio.stdin(), 1 << 20, "stdin")).replace(/\r?\n$/, "");
    } else if (password !== undefined) {
      await ctx.err("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
    }
    if (!args.username) throw new WharfError("USAGE", "username required: give -u USER (and --password-stdin)");
    if (password === undefined || password === "") throw new WharfError("USAGE", "password required: pipe it with --password-stdin");
    const client = await RegistryClient.connect(domain, {
      credentials: { username: args.username, password },
      insecureRegistries: insecureRegistries(args["insecure-registry"]),
      nowMs: () => ctx.runtime.clock.monotonicMs(),
    });
    const { identityToken } = await client.verifyCredentials();
    await storeCredentials(ctx.runtime.files!, dockerConfigPath(ctx.runtime.env!), domain, identityToken ? { username: args.username, identityToken } : { username: args.username, password }, ctx.runtime.processes);
    await ctx.out("Login Succeeded\n");
  },
});
