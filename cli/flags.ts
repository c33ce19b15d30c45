// Flags checked before citty parses them: citty takes an unknown flag without a word, so a typo
// (`--forse`) or a global option written after the command word (`wharf rmi --root R x`) would
// silently run against the wrong thing. Every flag is checked against the command's own
// definitions, and --root/--driver are taken wherever they stand before `--`.
import type { ArgsDef } from "citty";
import { WharfError } from "../src/errors.ts";

/** Options of wharf itself rather than of one command: the data root and its driver. */
export const GLOBAL_OPTIONS = ["root", "driver"] as const;
export type GlobalOptions = Partial<Record<(typeof GLOBAL_OPTIONS)[number], string>>;

const isGlobal = (name: string): name is (typeof GLOBAL_OPTIONS)[number] => (GLOBAL_OPTIONS as readonly string[]).includes(name);

/** A global option's value: never empty (an empty root or driver would mean the default, unasked). */
function globalValue(name: string, value: string | undefined): string {
  return flagValue(`--${name}`, value === "" ? undefined : value);
}

/** Takes `--root DIR`, `--root=DIR`, `--driver NAME` off the front of the arguments, as with `docker --host … ps`. */
export function splitGlobalOptions(args: string[]): { globals: GlobalOptions; rest: string[] } {
  const globals: GlobalOptions = {};
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    const name = GLOBAL_OPTIONS.find((o) => arg === `--${o}` || arg.startsWith(`--${o}=`));
    if (!name) break;
    globals[name] = globalValue(name, arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : args[++i]);
  }
  return { globals, rest: args.slice(i) };
}

// Commands whose options end at their first argument (Docker's create: what follows IMAGE is the
// container's command, flags included).
const endsAtFirstArgument = new WeakSet<object>();

/** Marks `command` as taking its options only before its first argument. */
export function optionsEndAtFirstArgument<T extends object>(command: T): T {
  endsAtFirstArgument.add(command);
  return command;
}

// Commands that read their arguments as a list (`args._`) and check the count themselves; any
// other command takes at most its declared positionals (citty drops the rest without a word).
const readsArgumentList = new WeakSet<object>();

/** Marks `command` as taking a list of arguments whose count it checks itself. */
export function argumentList<T extends object>(command: T): T {
  readsArgumentList.add(command);
  return command;
}

type FlagType = "boolean" | "string";

/** The command's flags by long name and by one-letter alias; --help and -h for every command. */
function flagTable(defs: ArgsDef): { long: Map<string, FlagType>; short: Map<string, FlagType> } {
  const long = new Map<string, FlagType>([["help", "boolean"]]);
  const short = new Map<string, FlagType>([["h", "boolean"]]);
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === "positional") continue;
    const type: FlagType = def.type === "boolean" ? "boolean" : "string";
    long.set(name, type);
    const alias = "alias" in def ? def.alias : undefined;
    const aliases = alias === undefined ? [] : Array.isArray(alias) ? alias : [alias];
    for (const alias of aliases) (alias.length === 1 ? short : long).set(alias, type);
  }
  return { long, short };
}

/**
 * The arguments after the command word, checked against `command`'s flags: an unknown one is a
 * USAGE error naming it, a flag missing its value likewise, more arguments than the command
 * declares likewise (`name` says which command); --root and --driver are moved into `globals`
 * (later ones win, as with any repeated flag). Returns what citty is to parse, and whether
 * help was asked for.
 */
export function checkFlags(command: object, name: string, defs: ArgsDef, args: string[], globals: GlobalOptions): { args: string[]; help: boolean } {
  const { long, short } = flagTable(defs);
  const stopAtArgument = endsAtFirstArgument.has(command);
  const out: string[] = [];
  let positionals = 0;
  // Only a --help of wharf's own: not one after `--`, nor one in a container's command.
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (stopAtArgument && (arg === "--" || !arg.startsWith("-"))) {
      out.push(...args.slice(i));
      return { args: out, help };
    }
    if (arg === "--help" || arg === "-h") help = true;
    if (arg === "--") {
      out.push(...args.slice(i));
      positionals += args.length - i - 1;
      break;
    }
    if (arg === "-" || !arg.startsWith("-")) {
      out.push(arg);
      positionals++;
      continue;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const type = long.get(name);
      if (type === undefined && isGlobal(name)) {
        globals[name] = globalValue(name, eq < 0 ? args[++i] : arg.slice(eq + 1));
        continue;
      }
      // citty reads `--no-X` as X=false for a boolean X.
      const negated = type === undefined && eq < 0 && name.startsWith("no-") && long.get(name.slice(3)) === "boolean";
      if (type === undefined && !negated) throw new WharfError("USAGE", `unknown flag: --${name}`);
      out.push(arg);
      if (type === "string" && eq < 0) out.push(flagValue(`--${name}`, args[++i]));
      continue;
    }
    // One or more one-letter flags (-aq); a string one takes the rest of the word, or the next.
    out.push(arg);
    for (let j = 1; j < arg.length; j++) {
      const type = short.get(arg[j]!);
      if (type === undefined) throw new WharfError("USAGE", `unknown shorthand flag: '${arg[j]}' in ${arg}`);
      if (type === "string") {
        if (j === arg.length - 1) out.push(flagValue(`-${arg[j]}`, args[++i]));
        break;
      }
    }
  }
  const allowed = Object.values(defs).filter((def) => def.type === "positional").length;
  // A group's first word is its subcommand: citty names an unknown one.
  const isGroup = "subCommands" in command && command.subCommands !== undefined;
  if (!readsArgumentList.has(command) && !isGroup && !help && positionals > allowed) {
    throw new WharfError("USAGE", `"${name}" ${allowed === 0 ? "accepts no arguments" : `accepts at most ${allowed} argument${allowed === 1 ? "" : "s"}`}`);
  }
  return { args: out, help };
}

function flagValue(flag: string, value: string | undefined): string {
  if (value === undefined) throw new WharfError("USAGE", `flag needs an argument: ${flag}`);
  return value;
}
