// Registries that want credentials: htpasswd (basic) and token auth (a token server in the test).
// login writes Docker's config.json (0600, no secret on screen), push and pull use it, a wrong
// or missing password is a one-line `unauthorized` error, logout removes the entry.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { getRuntime } from "../src/runtime/index.ts";
import { fixturePath } from "./support/fixtures.ts";
import { wharf, type CliResult } from "./support/cli.ts";
import { startRegistry, startTokenServer, type RunningRegistry, type TokenServer } from "./support/registry.ts";

const rt = await getRuntime();
const files = rt.files!;
const MULTI_ID = "sha256:0cc52890bed92f8da674eb3a91c87e255eb1cca560d2af99dc5fcce19cc9c1dd";
const encoder = new TextEncoder();

let base = "";
let basic: RunningRegistry;
let tokens: TokenServer;
let bearer: RunningRegistry;
test.before(async () => {
  base = await files.makeTempDir("wharf-dist-auth-");
  basic = await startRegistry({ auth: { htpasswd: { alice: "s3cret-basic" } } });
  tokens = await startTokenServer({ users: { bob: "s3cret-token" } });
  bearer = await startRegistry({ auth: { token: tokens } });
  await w(["--root", `${base}/seed`, "--driver", "vfs", "load", "-i", fixturePath("docker-save/multi.tar")]);
});
test.after(async () => {
  await bearer.stop();
  await tokens.stop();
  await basic.stop();
  await files.remove(base, { recursive: true });
});

/** wharf with its own Docker config dir, so the user's is never touched. */
const w = (args: string[], stdin?: string, config = `${base}/docker-config`): Promise<CliResult> =>
  wharf(args, stdin === undefined ? undefined : encoder.encode(stdin), { DOCKER_CONFIG: config });
const ok = async (args: string[], stdin?: string) => {
  const r = await w(args, stdin);
  assert.is(r.code, 0, `wharf ${args.join(" ")}: ${r.stderr}`);
  return r;
};
const failsUnauthorized = (r: CliResult, secret?: string) => {
  assert.is(r.code, 1, r.stdout);
  assert.is(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /unauthorized: .*\((UNAUTHORIZED|DENIED)\)/);
  if (secret) assert.not.match(r.stdout + r.stderr, secret);
};
const readConfig = async () => JSON.parse(new TextDecoder().decode(await files.readFile(`${base}/docker-config/config.json`))) as { auths: Record<string, { auth?: string; identitytoken?: string }> };

test("htpasswd: push without login is unauthorized; a wrong password too; login, push, pull, logout", async () => {
  const name = `${basic.host}/auth/multi:1`;
  await ok(["--root", `${base}/seed`, "tag", "wharf-test/multi:1", name]);
  failsUnauthorized(await w(["--root", `${base}/seed`, "push", name]));
  failsUnauthorized(await w(["login", "-u", "alice", "--password-stdin", basic.host], "wrong-password\n"), "wrong-password");
  assert.is(await files.stat(`${base}/docker-config/config.json`), null);

  const login = await ok(["login", "-u", "alice", "--password-stdin", basic.host], "s3cret-basic\n");
  assert.is(login.stdout, "Login Succeeded\n");
  assert.not.match(login.stdout + login.stderr, "s3cret");
  const info = await files.stat(`${base}/docker-config/config.json`);
  assert.is(info!.mode & 0o777, 0o600);
  assert.is((await readConfig()).auths[basic.host]!.auth, btoa("alice:s3cret-basic"));

  const push = await ok(["--root", `${base}/seed`, "push", name]);
  assert.not.match(push.stdout + push.stderr, "s3cret");
  await ok(["--root", `${base}/basic-pulled`, "--driver", "vfs", "pull", name]);
  assert.is((await ok(["--root", `${base}/basic-pulled`, "images", "-q", "--no-trunc"])).stdout.trim(), MULTI_ID);

  assert.is((await ok(["logout", basic.host])).stdout, `Removing login credentials for ${basic.host}\n`);
  assert.is((await readConfig()).auths[basic.host], undefined);
  assert.is((await ok(["logout", basic.host])).stdout, `Not logged in to ${basic.host}\n`);
  failsUnauthorized(await w(["--root", `${base}/basic-again`, "--driver", "vfs", "pull", name]));
});

test("token auth: anonymous pull only; login trades the password for a refresh token; tokens are reused per scope", async () => {
  const name = `${bearer.host}/tokens/multi:1`;
  await ok(["--root", `${base}/seed`, "tag", "wharf-test/multi:1", name]);
  failsUnauthorized(await w(["--root", `${base}/seed`, "push", name]));
  failsUnauthorized(await w(["login", "-u", "bob", "--password-stdin", bearer.host], "nope\n"), "nope");

  assert.is((await ok(["login", "-u", "bob", "--password-stdin", bearer.host], "s3cret-token\n")).stdout, "Login Succeeded\n");
  const entry = (await readConfig()).auths[bearer.host]!;
  assert.ok(entry.identitytoken, "the refresh token is kept instead of the password");
  assert.is(entry.auth, btoa("bob:"));
  assert.not.match(JSON.stringify(entry), "s3cret-token");

  const before = tokens.requests.length;
  await ok(["--root", `${base}/seed`, "push", name]);
  const pushTokens = tokens.requests.slice(before).filter((r) => r.scope === "repository:tokens/multi:pull,push");
  assert.is(pushTokens.length, 1, JSON.stringify(tokens.requests.slice(before)));
  assert.ok(pushTokens.every((r) => r.refreshToken && r.user === "bob" && r.status === 200));

  await ok(["logout", bearer.host]);
  await ok(["--root", `${base}/token-pulled`, "--driver", "vfs", "pull", name]);
  assert.is((await ok(["--root", `${base}/token-pulled`, "images", "-q", "--no-trunc"])).stdout.trim(), MULTI_ID);
});

test("a credential helper (credsStore): login stores the secret with it, push uses it, logout erases it", async () => {
  const bin = `${base}/helper-bin`;
  const config = `${base}/helper-config`;
  const secrets = `${base}/helper-secrets.json`;
  await files.mkdir(bin, { recursive: true });
  await files.mkdir(config, { recursive: true });
  // A helper keeping one entry in a file; the protocol of docker-credential-helpers.
  await files.writeFile(`${bin}/docker-credential-wharftest`, encoder.encode(`#!/bin/sh
store='${secrets}'
case "$1" in
  get) read server; [ -f "$store" ] && cat "$store" || { echo "credentials not found in native keychain"; exit 1; } ;;
  store) cat > "$store" ;;
  erase) read server; [ -f "$store" ] && rm -f "$store" || { echo "credentials not found in native keychain"; exit 1; } ;;
esac
`), 0o755);
  await files.chmod(`${bin}/docker-credential-wharftest`, 0o755);
  await files.writeFile(`${config}/config.json`, encoder.encode(JSON.stringify({ credsStore: "wharftest", psFormat: "kept" })));
  const env = { DOCKER_CONFIG: config, PATH: `${bin}:${rt.env!.get("PATH") ?? "/usr/bin:/bin"}` };
  const run = (args: string[], stdin?: string) => wharf(args, stdin === undefined ? undefined : encoder.encode(stdin), env);
  const name = `${basic.host}/helper/multi:1`;
  await ok(["--root", `${base}/seed`, "tag", "wharf-test/multi:1", name]);

  const login = await run(["login", "-u", "alice", "--password-stdin", basic.host], "s3cret-basic\n");
  assert.is(login.code, 0, login.stderr);
  const stored = JSON.parse(new TextDecoder().decode(await files.readFile(secrets))) as Record<string, string>;
  assert.equal(stored, { ServerURL: basic.host, Username: "alice", Secret: "s3cret-basic" });
  const file = new TextDecoder().decode(await files.readFile(`${config}/config.json`));
  assert.not.match(file, "s3cret");
  assert.equal(JSON.parse(file), { credsStore: "wharftest", psFormat: "kept", auths: { [basic.host]: {} } });

  const push = await run(["--root", `${base}/seed`, "push", name]);
  assert.is(push.code, 0, push.stderr);
  assert.is((await run(["logout", basic.host])).stdout, `Removing login credentials for ${basic.host}\n`);
  assert.is(await files.stat(secrets), null);
  failsUnauthorized(await run(["--root", `${base}/helper-pulled`, "--driver", "vfs", "pull", name]));

  await files.writeFile(`${config}/config.json`, encoder.encode(JSON.stringify({ credHelpers: { [basic.host]: "absent" } })));
  const missing = await run(["--root", `${base}/helper-pulled`, "--driver", "vfs", "pull", name]);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, "docker-credential-absent");
  assert.is(missing.stderr.trim().split("\n").length, 1);
});

test("login refuses bad usage without touching the config", async () => {
  const r = await w(["login", "--password-stdin", basic.host], "x\n", `${base}/unused-config`);
  assert.is(r.code, 2);
  assert.match(r.stderr, "--username");
  assert.is(await files.stat(`${base}/unused-config`), null);
});

test.run();
