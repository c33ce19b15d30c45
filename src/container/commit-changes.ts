/**
 * `docker commit -c`: Dockerfile instructions applied to the container's config (moby
 * `builder/dockerfile` BuildFromConfig with Docker 20.10's parser). Only the instructions that
 * edit the config are allowed; anything else fails with Docker's message and nothing is applied.
 */
import { WharfError } from "../errors.ts";
import { cleanPath } from "../format/go-path.ts";
import type { ContainerConfig } from "./container.ts";
import { envMap, processWord, processWords, splitDockerfileWords } from "./shell-words.ts";

/** moby validCommitCommands. */
const VALID_COMMIT_COMMANDS = new Set(["cmd", "entrypoint", "healthcheck", "env", "expose", "label", "onbuild", "user", "volume", "workdir"]);
const DEFAULT_SHELL = ["/bin/sh", "-c"];
const WHITESPACE = /[\t\v\f\r ]+/;

interface Instruction {
  /** Lower-cased, as Docker 20.10's parser reports it. */
  name: string;
  rest: string;
}

function invalid(message: string): WharfError {
  return new WharfError("INVALID_ARGUMENT", message);
}

/** The parser's line handling: continuation lines joined, blank lines and `#` comments skipped. */
export function parseInstructions(changes: readonly string[]): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = "";
  for (const rawLine of changes.join("\n").split("\n")) {
    const line = rawLine.replace(/^[\t\v\f\r ]+/, "");
    if (pending === "" && (line === "" || line.startsWith("#"))) continue;
    if (/(^|[^\\])\\[\t\v\f\r ]*$/.test(line)) {
      pending += line.replace(/\\[\t\v\f\r ]*$/, "");
      continue;
    }
    const full = (pending + line).trim();
    pending = "";
    if (full !== "") instructions.push(splitInstruction(full));
  }
  if (pending.trim() !== "") instructions.push(splitInstruction(pending.trim()));
  return instructions;
}

function splitInstruction(line: string): Instruction {
  const match = /^(\S+)[\t\v\f\r ]*([^]*)$/.exec(line)!;
  return { name: match[1]!.toLowerCase(), rest: match[2]! };
}

/** parseMaybeJSON: a JSON array of strings, or the text as one shell-form argument. */
function parseMaybeJSON(rest: string): { args: string[]; json: boolean } {
  if (rest === "") return { args: [], json: false };
  if (rest.startsWith("[")) {
    let value: unknown;
    try {
      value = JSON.parse(rest);
    } catch {
      return { args: [rest], json: false };
    }
    if (Array.isArray(value)) {
      if (!value.every((v) => typeof v === "string")) throw invalid("when using JSON array syntax, arrays must be comprised of strings only");
      return { args: value as string[], json: true };
    }
  }
  return { args: [rest], json: false };
}

/** parseNameVal: `k=v k2=v2`, or the legacy `k v` (one pair, the rest of the line as value). */
function parseNameVal(rest: string, keyword: string): Array<[string, string]> {
  const words = splitDockerfileWords(rest);
  if (words.length === 0) throw invalid(`${keyword} requires at least one argument`);
  if (!words[0]!.includes("=")) {
    const legacy = /^(\S+)[\t\v\f\r ]+([^]+)$/.exec(rest);
    if (!legacy) throw invalid(`${keyword} must have two arguments`);
    return [[legacy[1]!, legacy[2]!]];
  }
  return words.map((word) => {
    const eq = word.indexOf("=");
    if (eq < 0) throw invalid(`Syntax error - can't find = in ${JSON.stringify(word)}. Must be of the form: name=value`);
    return [word.slice(0, eq), word.slice(eq + 1)];
  });
}

/** go-connections nat.ParsePortSpecs, container side: `80`, `80/udp`, `8000-8002/tcp`. */
function parsePortSpec(raw: string): string[] {
  const containerPart = raw.slice(raw.lastIndexOf(":") + 1);
  const slash = containerPart.split("/");
  const port = slash[0] ?? "";
  const proto = slash.length > 1 && slash[1] !== "" ? slash[1]! : "tcp";
  if (port === "") throw invalid(`No port specified: ${raw}<empty>`);
  const range = /^(\d+)(?:-(\d+))?$/.exec(port);
  const start = range ? Number(range[1]) : NaN;
  const end = range?.[2] !== undefined ? Number(range[2]) : start;
  if (!range || start > 65535 || end > 65535 || end < start) throw invalid(`Invalid containerPort: ${port}`);
  const lower = proto.toLowerCase();
  if (lower !== "tcp" && lower !== "udp" && lower !== "sctp") throw invalid(`Invalid proto: ${proto}`);
  const ports: string[] = [];
  for (let p = start; p <= end; p++) ports.push(`${p}/${lower}`);
  return ports;
}

/** A copy deep enough that editing the arrays and maps leaves `config` as it was. */
function copyConfig(config: ContainerConfig): ContainerConfig {
  return JSON.parse(JSON.stringify(config)) as ContainerConfig;
}

/** Applies `changes` (each one or more Dockerfile lines) to a copy of `config`. */
export function applyCommitChanges(config: ContainerConfig, changes: readonly string[]): ContainerConfig {
  const instructions = parseInstructions(changes);
  for (const instruction of instructions) {
    if (!VALID_COMMIT_COMMANDS.has(instruction.name)) throw invalid(`${instruction.name} is not a valid change command`);
  }
  const next = copyConfig(config);
  let cmdSet = false;
  for (const { name, rest } of instructions) {
    const env = envMap(next.Env);
    const shellForm = (args: string[], json: boolean): string[] => (json ? args : [...((next.Shell as string[] | undefined) ?? DEFAULT_SHELL), ...args]);
    switch (name) {
      case "cmd": {
        const { args, json } = parseMaybeJSON(rest);
        next.Cmd = shellForm(args, json);
        if (args.length > 0) cmdSet = true;
        break;
      }
      case "entrypoint": {
        const { args, json } = parseMaybeJSON(rest);
        next.Entrypoint = shellForm(args, json);
        if (!cmdSet) next.Cmd = null;
        break;
      }
      case "env": {
        const pairs = parseNameVal(rest, "ENV").map(([k, v]) => [processWord(k, env), processWord(v, env)] as const);
        const list = [...(next.Env ?? [])];
        for (const [key, value] of pairs) {
          const i = list.findIndex((line) => line.split("=", 1)[0] === key);
          if (i >= 0) list[i] = `${key}=${value}`;
          else list.push(`${key}=${value}`);
        }
        next.Env = list;
        break;
      }
      case "label": {
        const pairs = parseNameVal(rest, "LABEL").map(([k, v]) => [processWord(k, env), processWord(v, env)] as const);
        const labels = { ...(next.Labels ?? {}) };
        for (const [key, value] of pairs) labels[key] = value;
        next.Labels = labels;
        break;
      }
      case "expose": {
        const words = rest.split(WHITESPACE).filter((w) => w !== "");
        if (words.length === 0) throw invalid("EXPOSE requires at least one argument");
        const exposed = { ...(next.ExposedPorts ?? {}) };
        for (const word of words) for (const spec of processWords(word, env)) for (const port of parsePortSpec(spec)) exposed[port] = {};
        next.ExposedPorts = exposed;
        break;
      }
      case "user":
        if (rest === "") throw invalid("USER requires exactly one argument");
        next.User = processWord(rest, env);
        break;
      case "workdir": {
        if (rest === "") throw invalid("WORKDIR requires exactly one argument");
        const requested = processWord(rest, env);
        if (requested === "") throw invalid("cannot normalize nothing");
        next.WorkingDir = requested.startsWith("/") ? requested : cleanPath(`/${next.WorkingDir ?? ""}/${requested}`);
        break;
      }
      case "volume": {
        const { args } = parseMaybeJSON(rest);
        const paths = args.length === 1 && !rest.startsWith("[") ? splitDockerfileWords(rest) : args;
        if (paths.length === 0) throw invalid("VOLUME requires at least one argument");
        const volumes = { ...((next.Volumes as Record<string, Record<string, never>> | null | undefined) ?? {}) };
        for (const raw of paths) {
          const path = processWord(raw, env);
          if (path.trim() === "") throw invalid("VOLUME specified can not be an empty string");
          volumes[path] = {};
        }
        next.Volumes = volumes;
        break;
      }
      case "onbuild": {
        const trigger = rest.trim().split(WHITESPACE)[0]?.toUpperCase() ?? "";
        if (trigger === "") throw invalid("ONBUILD requires at least one argument");
        if (trigger === "ONBUILD") throw invalid("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        if (trigger === "MAINTAINER" || trigger === "FROM") throw invalid(`${trigger} isn't allowed as an ONBUILD trigger`);
        next.OnBuild = [...((next.OnBuild as string[] | null | undefined) ?? []), rest.trim()];
        break;
      }
      default: // healthcheck: valid for Docker, not implemented by wharf
        throw new WharfError("UNSUPPORTED", `${name} changes are not supported by wharf commit`);
    }
  }
  return next;
}
