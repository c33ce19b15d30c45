/**
 * Docker credential helpers (docker-credential-helpers' protocol): `docker-credential-<name>
 * get|store|erase`, the server on stdin for get and erase, JSON on stdin for store and on
 * stdout for get (`{"ServerURL","Username","Secret"}`; Username `<token>` means the secret is
 * an identity token). config.json names them per registry (`credHelpers`) or for all
 * (`credsStore`). The secret passes through pipes only, never argv or the screen.
 */
import type { ProcessesPort } from "../ports.ts";
import { WharfError } from "../errors.ts";
import type { RegistryCredentials } from "./auth.ts";

const TOKEN_USERNAME = "<token>";
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** "credentials not found in native keychain": the helper's way of saying there are none. */
const NOT_FOUND = /credentials not found/i;

async function run(processes: ProcessesPort, helper: string, action: "get" | "store" | "erase", stdin: string) {
  const program = `docker-credential-${helper}`;
  let result;
  try {
    result = await processes.run(program, [action], { stdin: encoder.encode(stdin) });
  } catch (e) {
    throw new WharfError("NOT_FOUND", `credential helper ${program}: cannot run it (${(e as Error).message}); is it installed and on PATH?`, { cause: e });
  }
  const out = decoder.decode(result.stdout).trim();
  const err = decoder.decode(result.stderr).trim();
  return { code: result.code, out, message: (out || err).split("\n", 1)[0] ?? "" };
}

export async function helperGet(processes: ProcessesPort, helper: string, server: string): Promise<RegistryCredentials | undefined> {
  const r = await run(processes, helper, "get", server);
  if (r.code !== 0) {
    if (NOT_FOUND.test(r.message)) return undefined;
    throw new WharfError("UNAUTHORIZED", `credential helper docker-credential-${helper} get ${server}: ${r.message || `exit ${r.code}`}`);
  }
  let value: { Username?: unknown; Secret?: unknown };
  try {
    value = JSON.parse(r.out) as typeof value;
  } catch {
    throw new WharfError("UNAUTHORIZED", `credential helper docker-credential-${helper} get ${server}: its answer is not JSON`);
  }
  const username = typeof value.Username === "string" ? value.Username : "";
  const secret = typeof value.Secret === "string" ? value.Secret : "";
  if (secret === "") return undefined;
  return username === TOKEN_USERNAME ? { identityToken: secret } : { username, password: secret };
}

export async function helperStore(processes: ProcessesPort, helper: string, server: string, credentials: RegistryCredentials): Promise<void> {
  const body = credentials.identityToken
    ? { ServerURL: server, Username: TOKEN_USERNAME, Secret: credentials.identityToken }
    : { ServerURL: server, Username: credentials.username ?? "", Secret: credentials.password ?? "" };
  const r = await run(processes, helper, "store", JSON.stringify(body));
  if (r.code !== 0) throw new WharfError("IO", `credential helper docker-credential-${helper} store ${server}: ${r.message || `exit ${r.code}`}`);
}

/** Erases the server's entry; false when the helper had none. */
export async function helperErase(processes: ProcessesPort, helper: string, server: string): Promise<boolean> {
  const r = await run(processes, helper, "erase", server);
  if (r.code === 0) return true;
  if (NOT_FOUND.test(r.message)) return false;
  throw new WharfError("IO", `credential helper docker-credential-${helper} erase ${server}: ${r.message || `exit ${r.code}`}`);
}
