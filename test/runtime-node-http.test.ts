// Node's GET path (src/runtime/node-http.ts) against small servers on 127.0.0.1: it must answer
// as `fetch` does for what the registry client relies on. Runs on every runtime (node:http is
// there in Deno and Bun too), though only Node's adapter uses it.
import { test } from "uvu";
import * as assert from "uvu/assert";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { nodeFetchGet as makeFetchGet } from "../src/runtime/node-http.ts";
import { transferPieces } from "../src/io/chunk-pool.ts";

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

/** What reading the body fails with; undefined when it reads to its end. */
async function readFailure(response: Response): Promise<unknown> {
  try {
    await readBody(response);
    return undefined;
  } catch (e) {
    return e;
  }
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
    assert.ok((await readFailure(cut)) instanceof Error, "the cut body must not read as a short success");
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

/** A server that answers every connection with `reply`'s bytes, written in the given pieces, then closes. */
async function serveRaw(reply: Uint8Array[]): Promise<{ url: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const server = net.createServer((socket) => {
    let request = "";
    socket.on("data", async (d) => {
      request += d.toString("latin1");
      if (!request.includes("\r\n\r\n")) return;
      requests.push(request);
      for (const part of reply) {
        socket.write(part);
        await new Promise((r) => setTimeout(r, 2)); // separate reads on the client
      }
      socket.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
};

test("plain http: a chunked body is decoded across reads and pieces; one request is sent; framing errors fail", async () => {
  const payload = new Uint8Array(2_500_000).map((_, i) => (i * 13 + 5) & 255);
  // Chunks of odd sizes; the wire is cut so that sizes, data and CRLFs straddle reads.
  const sizes = [1, 70_000, 1_048_575, 3, 900_000];
  sizes.push(payload.length - sizes.reduce((a, b) => a + b, 0));
  const wire: Uint8Array[] = [latin1("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Test: yes\r\n\r\n")];
  let at = 0;
  for (const size of sizes) {
    wire.push(latin1(`${size.toString(16)};ext=1\r\n`), payload.subarray(at, at + size), latin1("\r\n"));
    at += size;
  }
  wire.push(latin1("0\r\nTrailer: x\r\n\r\n"));
  const all = concat(wire);
  const cuts: Uint8Array[] = [];
  for (let from = 0, step = 1; from < all.length; from += step, step = step * 3 + 1) cuts.push(all.subarray(from, Math.min(all.length, from + step)));
  const server = await serveRaw(cuts);
  try {
    const response = await nodeFetchGet(`${server.url}/c`, { headers: { Authorization: "Bearer t" } });
    assert.is(response.status, 200);
    assert.is(response.headers.get("x-test"), "yes");
    assert.equal(await readBody(response), payload);
    assert.is(server.requests.length, 1);
    assert.match(server.requests[0]!, /^GET \/c HTTP\/1\.1\r\n/);
    assert.match(server.requests[0]!, /\r\nAuthorization: Bearer t\r\n/);
  } finally {
    await server.close();
  }
  const broken = await serveRaw([latin1("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n")]);
  try {
    const response = await nodeFetchGet(`${broken.url}/c`, { headers: {} });
    assert.match(String(((await readFailure(response)) as Error)?.message), /malformed chunked body .*chunk size "zz"/);
  } finally {
    await broken.close();
  }
});

test("plain http: a body by Content-Length comes in whole pool pieces (handed on without a copy); one up to the close ends there", async () => {
  const payload = new Uint8Array(3_000_000).map((_, i) => (i * 31) & 255);
  const sized = await serveRaw([latin1(`HTTP/1.1 200 OK\r\nContent-Length: ${payload.length}\r\n\r\n`), payload, latin1("trailing junk")]);
  try {
    const response = await nodeFetchGet(`${sized.url}/b`, { headers: {} });
    const reader = response.body!.getReader();
    const got: Uint8Array[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      assert.is(value.byteOffset, 0);
      assert.ok(transferPieces.owns(value.buffer), "a chunk is a piece of the shared pool");
      got.push(value.slice());
    }
    assert.equal(concat(got), payload, "exactly Content-Length bytes, nothing after");
  } finally {
    await sized.close();
  }
  const untilClose = await serveRaw([latin1("HTTP/1.0 200 OK\r\n\r\nab"), latin1("cdef")]);
  try {
    const response = await nodeFetchGet(`${untilClose.url}/b`, { headers: {} });
    assert.is(await response.text(), "abcdef");
  } finally {
    await untilClose.close();
  }
});

test.run();
