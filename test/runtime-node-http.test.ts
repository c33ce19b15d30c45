// Node's GET path (src/runtime/node-http.ts) against small servers on 127.0.0.1: it must answer
// as `fetch` does for what the registry client relies on. Runs on every runtime (node:http is
// there in Deno and Bun too), though only Node's adapter uses it.
import { test } from "uvu";
import * as assert from "uvu/assert";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { nodeFetchGet as makeFetchGet } from "../src/runtime/node-http.ts";

const nodeFetchGet = await makeFetchGet();

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

async function serve(handler: Handler): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

async function readBody(response: Response): Promise<Uint8Array> {
  return new Uint8Array(await new Response(response.body).arrayBuffer());
}

test("a body streams as sent; status, headers and a registry's error body come through", async () => {
  const payload = new Uint8Array(3 << 20).map((_, i) => (i * 7) & 255);
  const server = await serve((req, res) => {
    if (req.url === "/blob") {
      res.writeHead(200, { "Content-Length": String(payload.length), "Docker-Content-Digest": "sha256:x" });
      res.end(payload);
    } else {
      res.writeHead(404, { "Content-Type": "application/json" });
      res.end(`{"errors":[{"code":"BLOB_UNKNOWN"}]}`);
    }
  });
  try {
    const ok = await nodeFetchGet(`${server.url}/blob`, { headers: {} });
    assert.is(ok.status, 200);
    assert.ok(ok.ok);
    assert.is(ok.headers.get("docker-content-digest"), "sha256:x");
    assert.equal(await readBody(ok), payload);
    const missing = await nodeFetchGet(`${server.url}/other`, { headers: {} });
    assert.is(missing.status, 404);
    assert.is(await missing.text(), `{"errors":[{"code":"BLOB_UNKNOWN"}]}`);
  } finally {
    await server.close();
  }
});

test("redirects are followed; Authorization goes along on the same origin only", async () => {
  const seen: Array<{ where: string; auth: string | undefined }> = [];
  const storage = await serve((req, res) => {
    seen.push({ where: `storage${req.url}`, auth: req.headers.authorization });
    res.end("from storage");
  });
  const registry = await serve((req, res) => {
    seen.push({ where: `registry${req.url}`, auth: req.headers.authorization });
    if (req.url === "/a") res.writeHead(307, { Location: "/b" }).end();
    else res.writeHead(302, { Location: `${storage.url}/blob?sig=1` }).end("moved");
  });
  try {
    const response = await nodeFetchGet(`${registry.url}/a`, { headers: { Authorization: "Bearer secret" } });
    assert.is(response.status, 200);
    assert.is(await response.text(), "from storage");
    assert.equal(seen, [
      { where: "registry/a", auth: "Bearer secret" },
      { where: "registry/b", auth: "Bearer secret" },
      { where: "storage/blob?sig=1", auth: undefined },
    ]);
  } finally {
    await Promise.all([registry.close(), storage.close()]);
  }
});

test("a body cut off mid-way fails its reader; a refused connection fails the call; 204 has no body", async () => {
  const server = await serve((req, res) => {
    if (req.url === "/empty") return void res.writeHead(204).end();
    res.writeHead(200, { "Content-Length": "1000000" });
    res.write(new Uint8Array(1000));
    setTimeout(() => req.socket.destroy(), 20);
  });
  try {
    const cut = await nodeFetchGet(`${server.url}/cut`, { headers: {} });
    let failure: unknown;
    try {
      await readBody(cut);
    } catch (e) {
      failure = e;
    }
    assert.ok(failure instanceof Error, "the cut body must not read as a short success");
    const empty = await nodeFetchGet(`${server.url}/empty`, { headers: {} });
    assert.is(empty.status, 204);
    assert.is(empty.body, null);
  } finally {
    await server.close();
  }
  const closed = server.url;
  let refused: unknown;
  try {
    await nodeFetchGet(`${closed}/x`, { headers: {} });
  } catch (e) {
    refused = e;
  }
  assert.match(String((refused as Error)?.message), /ECONNREFUSED/);
});

test.run();
