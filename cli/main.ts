// wharf's command line: argument parsing only; the work lives in src/. One file per command.
import { defineCommand, type CommandDef } from "citty";
import tab from "@bomb.sh/tab/citty";
import { WHARF_VERSION } from "../src/version.ts";
import { runCli } from "./run.ts";
import version from "./version.ts";
import tar from "./tar.ts";
import digest from "./digest.ts";

const main: CommandDef = defineCommand({
  meta: { name: "wharf", version: WHARF_VERSION, description: "Daemonless, Docker-compatible image and layer store" },
  subCommands: { version, tar, digest },
});

await tab(main); // adds `wharf complete bash|zsh|fish|powershell`
await runCli(main);
