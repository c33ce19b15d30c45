// Self-test of test/support/registry*.ts against the real docker-registry, with raw fetch only,
// so the registry-client tests can trust their fixtures.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { pushRawBlob, putRawManifest, startProxy, startRegistry, startTokenServer, type RunningRegistry } from "./support/registry.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const sha256 = (b: Uint8Array): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const basic = (user: string, password: string): string => `Basic ${btoa(`${user}:${password}`)}`;
const bytes = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

/** Reads a body to its end or to the error that ends it; a cut connection must not hang the test. */
async function drain(res: Response): Promise<{ data: Uint8Array; error?: unknown }> {
  const chunks: Uint8Array[] = [];
  let error: unknown;
  try {
    for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) chunks.push(c);
  } catch (e) {
    error = e;
  }
  const data = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) (data.set(c, at), (at += c.length));
  return { data, error };
}

/** Parses `Bearer realm="…",service="…",scope="…"`. */
function challenge(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of (header ?? "").matchAll(/(\w+)="([^"]*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

let plain: RunningRegistry;
test.before(async () => {
  plain = await startRegistry();
});
test.after(async () => {
  await plain?.stop();
});

test("registry starts on 127.0.0.1 and answers /v2/", async () => {
  assert.match(plain.host, /^127\.0\.0\.1:\d+$/);
  assert.is(plain.url, `http://${plain.host}`);
  const res = await fetch(`${plain.url}/v2/`);
  assert.is(res.status, 200);
  assert.is(res.headers.get("docker-distribution-api-version"), "registry/2.0");
  await res.body?.cancel();
});

test("a registry that cannot start fails fast with its output", async () => {
  const tokens = await startTokenServer({ users: {} });
  try {
    const err = await startRegistry({ auth: { token: { ...tokens, certPath: "/nonexistent/cert.pem" } } }).catch((e: Error) => e);
    assert.instance(err, Error);
    assert.match((err as Error).message, /docker-registry did not start[\s\S]*output tail[\s\S]*nonexistent/);
  } finally {
    await tokens.stop();
  }
});

test("htpasswd registry: 401 without or with wrong creds, 200 with them", async () => {
  const reg = await startRegistry({ auth: { htpasswd: { alice: "s3cret", bob: "hunter2" } } });
  try {
    const anon = await fetch(`${reg.url}/v2/`);
    assert.is(anon.status, 401);
    assert.match(anon.headers.get("www-authenticate") ?? "", /^Basic realm="wharf-test"/);
    await anon.body?.cancel();
    const wrong = await fetch(`${reg.url}/v2/`, { headers: { authorization: basic("alice", "nope") } });
    assert.is(wrong.status, 401);
    await wrong.body?.cancel();
    for (const [u, p] of [["alice", "s3cret"], ["bob", "hunter2"]] as const) {
      const ok = await fetch(`${reg.url}/v2/`, { headers: { authorization: basic(u, p) } });
      assert.is(ok.status, 200, u);
      await ok.body?.cancel();
    }
    const digest = await pushRawBlob(reg.url, "auth/app", enc.encode("hello"), { authorization: basic("alice", "s3cret") });
    const blob = await fetch(`${reg.url}/v2/auth/app/blobs/${digest}`, { headers: { authorization: basic("bob", "hunter2") } });
    assert.is(dec.decode(new Uint8Array(await blob.arrayBuffer())), "hello");
  } finally {
    await reg.stop();
  }
  assert.not.ok(existsSync(reg.storage), "temp dir removed");
});

test("token auth end to end: challenge, token from realm, push and pull with the bearer", async () => {
  const tokens = await startTokenServer({ users: { alice: "s3cret" } });
  const reg = await startRegistry({ auth: { token: tokens } });
  try {
    const ping = await fetch(`${reg.url}/v2/`);
    assert.is(ping.status, 401);
    const c = challenge(ping.headers.get("www-authenticate"));
    await ping.body?.cancel();
    assert.is(c.realm, tokens.realm);
    assert.is(c.service, tokens.service);
    assert.match(tokens.realm, /^http:\/\/127\.0\.0\.1:\d+\/token$/);

    // The 401 for a repository names the scope the client should ask for.
    const tags = await fetch(`${reg.url}/v2/tok/app/tags/list`);
    assert.is(challenge(tags.headers.get("www-authenticate")).scope, "repository:tok/app:pull");
    await tags.body?.cancel();

    const scope = "repository:tok/app:pull,push";
    const tr = await fetch(`${c.realm}?service=${encodeURIComponent(c.service!)}&scope=${encodeURIComponent(scope)}`, {
      headers: { authorization: basic("alice", "s3cret") },
    });
    assert.is(tr.status, 200);
    const body = (await tr.json()) as { token: string; access_token: string; expires_in: number; issued_at: string };
    assert.is(body.token, body.access_token);
    assert.is(body.expires_in, 300);
    assert.ok(!Number.isNaN(Date.parse(body.issued_at)));
    const [h, p] = body.token.split(".").slice(0, 2).map((s) => JSON.parse(Buffer.from(s, "base64url").toString()) as Record<string, unknown>);
    assert.is(h!.alg, "RS256");
    assert.ok(Array.isArray(h!.x5c));
    assert.equal(p!.access, [{ type: "repository", name: "tok/app", actions: ["pull", "push"] }]);
    assert.is(p!.sub, "alice");
    assert.is(p!.aud, tokens.service);

    const bearer = { authorization: `Bearer ${body.token}` };
    const v2 = await fetch(`${reg.url}/v2/`, { headers: bearer });
    assert.is(v2.status, 200);
    await v2.body?.cancel();
    const data = bytes(4096);
    const digest = await pushRawBlob(reg.url, "tok/app", data, bearer);
    const got = await fetch(`${reg.url}/v2/tok/app/blobs/${digest}`, { headers: bearer });
    assert.is(got.status, 200);
    assert.equal(new Uint8Array(await got.arrayBuffer()), data);

    // A token for another repository does not open this one.
    const other = await fetch(`${tokens.realm}?service=${tokens.service}&scope=repository:other:pull`, { headers: { authorization: basic("alice", "s3cret") } });
    const otherToken = ((await other.json()) as { token: string }).token;
    const denied = await fetch(`${reg.url}/v2/tok/app/blobs/${digest}`, { headers: { authorization: `Bearer ${otherToken}` } });
    assert.is(denied.status, 401);
    await denied.body?.cancel();

    // Anonymous: pull only, so reading works and pushing is refused by the registry.
    const anon = await fetch(`${tokens.realm}?service=${tokens.service}&scope=${encodeURIComponent(scope)}`);
    assert.is(anon.status, 200);
    const anonToken = ((await anon.json()) as { token: string }).token;
    const anonBearer = { authorization: `Bearer ${anonToken}` };
    const anonPull = await fetch(`${reg.url}/v2/tok/app/blobs/${digest}`, { headers: anonBearer });
    assert.is(anonPull.status, 200);
    await anonPull.body?.cancel();
    const anonPush = await fetch(`${reg.url}/v2/tok/app/blobs/uploads/`, { method: "POST", headers: anonBearer });
    assert.is(anonPush.status, 401);
    await anonPush.body?.cancel();

    // Wrong password: 401 with the distribution error body.
    const wrong = await fetch(`${tokens.realm}?service=${tokens.service}`, { headers: { authorization: basic("alice", "nope") } });
    assert.is(wrong.status, 401);
    assert.equal(await wrong.json(), { errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] });

    assert.equal(
      tokens.requests.map((r) => [r.scope, r.user, r.status]),
      [
        [scope, "alice", 200],
        ["repository:other:pull", "alice", 200],
        [scope, undefined, 200],
        ["", undefined, 401],
      ],
    );
  } finally {
    await reg.stop();
    await tokens.stop();
  }
});

test("token server: OAuth2 POST password and refresh_token grants", async () => {
  const tokens = await startTokenServer({ users: { alice: "s3cret" }, anonymousPull: false });
  const reg = await startRegistry({ auth: { token: tokens } });
  try {
    const post = (form: Record<string, string>) =>
      fetch(tokens.realm, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(form).toString() });
    const scope = "repository:oauth/app:pull,push";
    const first = await post({ grant_type: "password", username: "alice", password: "s3cret", service: tokens.service, scope, client_id: "wharf" });
    assert.is(first.status, 200);
    const a = (await first.json()) as { access_token: string; refresh_token: string; expires_in: number };
    assert.type(a.refresh_token, "string");
    assert.is(a.expires_in, 300);
    const digest = await pushRawBlob(reg.url, "oauth/app", enc.encode("oauth"), { authorization: `Bearer ${a.access_token}` });

    const again = await post({ grant_type: "refresh_token", refresh_token: a.refresh_token, service: tokens.service, scope: "repository:oauth/app:pull", client_id: "wharf" });
    assert.is(again.status, 200);
    const b = (await again.json()) as { access_token: string };
    const blob = await fetch(`${reg.url}/v2/oauth/app/blobs/${digest}`, { headers: { authorization: `Bearer ${b.access_token}` } });
    assert.is(await blob.text(), "oauth");

    const badPw = await post({ grant_type: "password", username: "alice", password: "x", service: tokens.service, scope });
    assert.is(badPw.status, 401);
    await badPw.body?.cancel();
    const badRefresh = await post({ grant_type: "refresh_token", refresh_token: "made-up", service: tokens.service, scope });
    assert.is(badRefresh.status, 401);
    await badRefresh.body?.cancel();
    // anonymousPull: false refuses anonymous GETs outright.
    const anon = await fetch(`${tokens.realm}?service=${tokens.service}&scope=repository:oauth/app:pull`);
    assert.is(anon.status, 401);
    await anon.body?.cancel();

    assert.equal(
      tokens.requests.map((r) => [r.user, r.refreshToken ?? false, r.status]),
      [
        ["alice", false, 200],
        ["alice", true, 200],
        [undefined, false, 401],
        [undefined, true, 401],
        [undefined, false, 401],
      ],
    );
  } finally {
    await reg.stop();
    await tokens.stop();
  }
});

test("pushRawBlob and putRawManifest round-trip a hand-built two-platform OCI index", async () => {
  const repo = "raw/multi";
  const manifests: { digest: string; size: number; platform: { os: string; architecture: string } }[] = [];
  for (const arch of ["amd64", "arm64"]) {
    const layer = bytes(300);
    const config = enc.encode(JSON.stringify({ architecture: arch, os: "linux", rootfs: { type: "layers", diff_ids: [sha256(layer)] } }));
    const layerDigest = await pushRawBlob(plain.url, repo, layer);
    assert.is(layerDigest, sha256(layer));
    const configDigest = await pushRawBlob(plain.url, repo, config);
    const manifest = enc.encode(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: config.length },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: layerDigest, size: layer.length }],
      }),
    );
    const md = await putRawManifest(plain.url, repo, sha256(manifest), "application/vnd.oci.image.manifest.v1+json", manifest);
    assert.is(md, sha256(manifest));
    manifests.push({ digest: md, size: manifest.length, platform: { os: "linux", architecture: arch } });
    const blob = await fetch(`${plain.url}/v2/${repo}/blobs/${layerDigest}`);
    assert.equal(new Uint8Array(await blob.arrayBuffer()), layer);
  }
  const indexType = "application/vnd.oci.image.index.v1+json";
  const index = enc.encode(JSON.stringify({ schemaVersion: 2, mediaType: indexType, manifests: manifests.map((m) => ({ mediaType: "application/vnd.oci.image.manifest.v1+json", ...m })) }));
  const digest = await putRawManifest(plain.url, repo, "latest", indexType, index);
  const res = await fetch(`${plain.url}/v2/${repo}/manifests/latest`, { headers: { accept: indexType } });
  assert.is(res.status, 200);
  assert.is(res.headers.get("content-type"), indexType);
  assert.is(res.headers.get("docker-content-digest"), digest);
  assert.equal(new Uint8Array(await res.arrayBuffer()), index);
  assert.ok(existsSync(`${plain.storage}/docker/registry/v2/repositories/raw/multi`));
});

test("registry serves byte ranges itself: 206 with Content-Range", async () => {
  const data = bytes(1000);
  const digest = await pushRawBlob(plain.url, "range/app", data);
  const res = await fetch(`${plain.url}/v2/range/app/blobs/${digest}`, { headers: { range: "bytes=100-" } });
  assert.is(res.status, 206);
  assert.is(res.headers.get("content-range"), "bytes 100-999/1000");
  assert.equal(new Uint8Array(await res.arrayBuffer()), data.subarray(100));
});

test("proxy forwards untouched, push included (upload Location points at the proxy)", async () => {
  const proxy = await startProxy(plain.url, {});
  try {
    const start = await fetch(`${proxy.url}/v2/proxied/app/blobs/uploads/`, { method: "POST" });
    assert.is(start.status, 202);
    assert.ok((start.headers.get("location") ?? "").startsWith(`${proxy.url}/`), start.headers.get("location") ?? "");
    await start.body?.cancel();
    const data = bytes(70_000);
    const digest = await pushRawBlob(proxy.url, "proxied/app", data);
    const res = await fetch(`${proxy.url}/v2/proxied/app/blobs/${digest}`);
    assert.is(res.headers.get("content-length"), String(data.length));
    assert.equal(new Uint8Array(await res.arrayBuffer()), data);
    assert.is(proxy.blobRequests, 1);
    assert.equal(proxy.rangeRequests, []);
  } finally {
    await proxy.stop();
  }
});

test("corrupting proxy flips exactly the middle byte, same length, ranged GETs too", async () => {
  const data = bytes(1001);
  const digest = await pushRawBlob(plain.url, "corrupt/app", data);
  const clean = await pushRawBlob(plain.url, "corrupt/app", bytes(10));
  const proxy = await startProxy(plain.url, { corruptBlob: digest });
  try {
    const res = await fetch(`${proxy.url}/v2/corrupt/app/blobs/${digest}`);
    assert.is(res.status, 200);
    const got = new Uint8Array(await res.arrayBuffer());
    assert.is(got.length, data.length);
    const diff = [...got.keys()].filter((i) => got[i] !== data[i]);
    assert.equal(diff, [500]);
    assert.is.not(sha256(got), digest);
    const part = await fetch(`${proxy.url}/v2/corrupt/app/blobs/${digest}`, { headers: { range: "bytes=400-" } });
    assert.is(part.status, 206);
    const tail = new Uint8Array(await part.arrayBuffer());
    assert.equal(tail, got.subarray(400));
    const other = await fetch(`${proxy.url}/v2/corrupt/app/blobs/${clean}`);
    assert.is(sha256(new Uint8Array(await other.arrayBuffer())), clean);
    assert.is(proxy.blobRequests, 3);
    assert.equal(proxy.rangeRequests, ["bytes=400-"]);
  } finally {
    await proxy.stop();
  }
});

test("cutting proxy drops the connection after afterBytes; a Range request gets the rest (206)", async () => {
  const data = bytes(200_000);
  const digest = await pushRawBlob(plain.url, "cut/app", data);
  const afterBytes = 65_537;
  const proxy = await startProxy(plain.url, { cutBlob: { digest, afterBytes } });
  try {
    const res = await fetch(`${proxy.url}/v2/cut/app/blobs/${digest}`);
    assert.is(res.status, 200);
    assert.is(res.headers.get("content-length"), String(data.length));
    const first = await drain(res);
    assert.ok(first.error !== undefined || first.data.length < data.length, "body must end short");
    assert.is(first.data.length, afterBytes);
    assert.equal(first.data, data.subarray(0, afterBytes));

    const rest = await fetch(`${proxy.url}/v2/cut/app/blobs/${digest}`, { headers: { range: `bytes=${afterBytes}-` } });
    assert.is(rest.status, 206);
    assert.is(rest.headers.get("content-range"), `bytes ${afterBytes}-${data.length - 1}/${data.length}`);
    assert.equal(new Uint8Array(await rest.arrayBuffer()), data.subarray(afterBytes));
    assert.is(proxy.blobRequests, 2);
    assert.equal(proxy.rangeRequests, [`bytes=${afterBytes}-`]);
  } finally {
    await proxy.stop();
  }
});

test.run();
