// Runs the command tree: help and errors the way a Docker user expects them — usage on --help,
// and every failure as one line on stderr with a non-zero exit code.
import { renderUsage, runCommand, type CommandDef } from "citty";
import { isWharfError, WharfError } from "../src/errors.ts";
import { cliContext } from "./context.ts";
import { checkFlags, splitGlobalOptions } from "./flags.ts";

/** Exit codes: 1 for a failed operation, 2 for bad usage (like most CLIs). */
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

async function resolve<T>(value: T | Promise<T> | (() => T | Promise<T>)): Promise<T> {
  return typeof value === "function" ? await (value as () => T | Promise<T>)() : await value;
}

/** The deepest command named by the leading words of `args`, with its parent. */
async function commandFor(root: CommandDef, args: string[]): Promise<{ cmd: CommandDef; parent?: CommandDef; path: string[] }> {
  let cmd = root;
  let parent: CommandDef | undefined;
  const path: string[] = [];
  for (const word of args) {
    if (word.startsWith("-")) break;
    const subs = await resolve(cmd.subCommands ?? {});
    const next = subs[word];
    if (!next) break;
    parent = cmd;
    cmd = await resolve(next);
    path.push(word);
  }
  return { cmd, parent, path };
}

export async function runCli(root: CommandDef): Promise<void> {
  const ctx = await cliContext();
  const env = ctx.runtime.env;
  if (!env) throw new Error("no process environment in this runtime");
  let args: string[];
  try {
    const split = splitGlobalOptions(env.args());
    ctx.globals = split.globals;
    args = split.rest;
  } catch (e) {
    await ctx.err(`wharf: ${oneLine(e)}\nSee 'wharf --help'.\n`);
    return env.exit(EXIT_USAGE);
  }
  if (args.length === 1 && (args[0] === "--version" || args[0] === "-v")) {
    const meta = await resolve(root.meta ?? {});
    await ctx.out(`wharf ${meta.version}\n`);
    return env.exit(0);
  }
  const { cmd, parent, path } = await commandFor(root, args);
  const usageError = async (e: unknown) => {
    const usage = isUsageError(e);
    await ctx.err(`wharf: ${oneLine(e)}${usage ? `\nSee 'wharf ${path.join(" ")}${path.length ? " " : ""}--help'.` : ""}\n`);
    return env.exit(usage ? EXIT_USAGE : EXIT_FAILURE);
  };
  let checked: { args: string[]; help: boolean };
  try {
    checked = checkFlags(cmd, path.join(" ") || "wharf", await resolve(cmd.args ?? {}), args.slice(path.length), ctx.globals);
  } catch (e) {
    return usageError(e);
  }
  const isGroupWithoutVerb = !cmd.run && cmd.subCommands && args.length === path.length;
  if (checked.help || isGroupWithoutVerb || args.length === 0) {
    const usage = await renderUsage(cmd, parent);
    // Colours for people at a terminal; plain text into pipes and files.
    await ctx.out((ctx.stdio.isTerminal(1) ? usage : usage.replace(ANSI, "")) + "\n");
    return env.exit(0);
  }
  try {
    await runCommand(root, { rawArgs: [...args.slice(0, path.length), ...checked.args] });
  } catch (e) {
    return usageError(e);
  }
}

function isUsageError(e: unknown): boolean {
  if (isWharfError(e)) return e.code === "USAGE";
  return e instanceof Error && e.name === "CLIError";
}

const ANSI = /\x1b\[[0-9;]*m/g;

function oneLine(e: unknown): string {
  const text = (e instanceof Error ? e.message : String(e)).replace(ANSI, "");
  return text.split("\n")[0] ?? text;
}
