/**
 * A loopback HTTP proxy in front of a test registry that forwards everything untouched except
 * the blob it was told to spoil: `corruptBlob` is served with one byte flipped (same length),
 * `cutBlob` is cut after `afterBytes` bytes by dropping the connection (but only for a full
 * GET; a GET with Range, i.e. a resume, passes through). It counts blob GETs and records their
 * Range headers so tests can see whether the client resumed.
 */
import { Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from "node:http";
import { closeServer, listenLoopback, LOOPBACK } from "./registry-net.ts";

export interface ProxyBehaviour {
  /** Digest of a blob to serve with the middle byte of the blob flipped. */
  corruptBlob?: string;
  /** Digest of a blob whose full GET stops after `afterBytes` body bytes (headers promise all of it). */
  cutBlob?: { digest: string; afterBytes: number };
  /** Digest of a blob whose GETs stop after `afterBytes` body bytes and then hang (a process to kill mid-pull). */
  stallBlob?: { digest: string; afterBytes: number };
}

export interface RunningProxy {
  /** "127.0.0.1:PORT" */
  host: string;
  /** "http://127.0.0.1:PORT" */
  url: string;
  /** Range header values of blob GETs, in order. */
  rangeRequests: string[];
  /** Number of blob GETs (any digest) seen. */
  blobRequests: number;
  /** Responses of `stallBlob` that have sent their bytes and now hang. */
  stalled: number;
  stop(): Promise<void>;
}

const BLOB_PATH = /^\/v2\/(.+)\/blobs\/([a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+)$/;
/** Hop-by-hop headers: each side of the proxy makes its own. */
const HOP = new Set(["connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "te", "trailer"]);

export async function startProxy(target: string, behaviour: ProxyBehaviour = {}): Promise<RunningProxy> {
  const origin = new URL(target).origin;
  // Its own agent, so stop() can close the upstream connections too.
  const agent = new Agent({ keepAlive: true });
  const sockets = new Set<{ destroy(): void }>();
  const server = createServer((req, res) => {
    handle(req, res).catch((e: Error) => {
      if (!res.headersSent) {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end(`proxy: ${e.message}`);
      } else res.destroy();
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  const host = await listenLoopback(server);
  const self = `http://${host}`;
  let stopping: Promise<void> | undefined;
  const proxy: RunningProxy = {
    host,
    url: self,
    rangeRequests: [],
    blobRequests: 0,
    stalled: 0,
    stop: () =>
      (stopping ??= (() => {
        // A cut response may leave a half-open socket; don't let it hold close() up.
        for (const s of sockets) s.destroy();
        return closeServer(server).then(() => agent.destroy());
      })()),
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? "/";
    const blob = req.method === "GET" ? BLOB_PATH.exec(path.split("?")[0]!)?.[2] : undefined;
    const range = req.headers.range;
    if (blob !== undefined) {
      proxy.blobRequests++;
      if (range !== undefined) proxy.rangeRequests.push(range);
    }
    const headers = forwardHeaders(req.headers);
    let up = await send(agent, `${origin}${path}`, req.method ?? "GET", headers, blob === undefined ? req : undefined);
    // Filesystem storage serves blobs itself; a storage driver that redirects would be followed
    // here, but only to loopback, so the client under test always talks to the proxy.
    for (let hops = 0; blob !== undefined && isRedirect(up.statusCode) && hops < 5; hops++) {
      const next = new URL(up.headers.location ?? "", `${origin}${path}`);
      if (next.hostname !== LOOPBACK) break;
      up.resume();
      up = await send(agent, next.href, "GET", { ...headers, host: next.host }, undefined);
    }
    // A client that goes away mid-body must not leave the upstream response hanging.
    res.once("close", () => {
      if (!res.writableFinished) up.destroy();
    });
    const status = up.statusCode ?? 502;
    const outHeaders = backHeaders(up.headers, origin, self);

    if (blob !== undefined && blob === behaviour.cutBlob?.digest && range === undefined && status === 200) {
      return cut(up, res, status, outHeaders, behaviour.cutBlob.afterBytes);
    }
    if (blob !== undefined && blob === behaviour.stallBlob?.digest && (status === 200 || status === 206)) {
      return stall(up, res, status, outHeaders, behaviour.stallBlob.afterBytes, () => proxy.stalled++);
    }
    if (blob !== undefined && blob === behaviour.corruptBlob && (status === 200 || status === 206)) {
      return corrupt(up, res, status, outHeaders);
    }
    res.writeHead(status, outHeaders);
    up.pipe(res);
  }

  return proxy;
}

function send(agent: Agent, url: string, method: string, headers: OutgoingHttpHeaders, body: IncomingMessage | undefined): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent }, resolve);
    req.once("error", reject);
    if (body) body.pipe(req);
    else req.end();
  });
}

function isRedirect(status: number | undefined): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

function forwardHeaders(h: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  // Keep Host (and Authorization etc.): the registry builds upload Locations from Host.
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP.has(k)) out[k] = v;
  return out;
}

/** Response headers minus hop-by-hop ones, with Locations pointing at the registry rewritten to the proxy. */
function backHeaders(h: IncomingHttpHeaders, origin: string, self: string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP.has(k)) out[k] = v;
  const loc = out.location;
  if (typeof loc === "string" && loc.startsWith(origin)) out.location = self + loc.slice(origin.length);
  return out;
}

/** Sends the full headers and the first `afterBytes` body bytes, then drops the connection. */
function cut(up: IncomingMessage, res: ServerResponse, status: number, headers: OutgoingHttpHeaders, afterBytes: number): void {
  res.writeHead(status, headers);
  let sent = 0;
  let done = false;
  const drop = (): void => {
    done = true;
    up.destroy();
    // The socket, not just the response: the client must see a short body, not a clean end.
    (res.socket ?? res).destroy();
  };
  if (afterBytes <= 0) {
    res.flushHeaders();
    setTimeout(drop, 20);
    return;
  }
  up.on("data", (chunk: Uint8Array) => {
    if (done) return;
    const part = chunk.subarray(0, afterBytes - sent);
    sent += part.length;
    if (sent < afterBytes) res.write(part);
    else {
      done = true;
      up.pause();
      res.write(part, () => setTimeout(drop, 20));
    }
  });
  up.on("end", () => {
    if (!done) drop();
  });
}

/** Sends the headers and the first `afterBytes` body bytes, then nothing more: the connection stays open. */
function stall(up: IncomingMessage, res: ServerResponse, status: number, headers: OutgoingHttpHeaders, afterBytes: number, onStalled: () => void): void {
  res.writeHead(status, headers);
  let sent = 0;
  up.on("data", (chunk: Uint8Array) => {
    if (sent >= afterBytes) return;
    const part = chunk.subarray(0, afterBytes - sent);
    sent += part.length;
    if (sent < afterBytes) res.write(part);
    else {
      up.pause();
      res.write(part, onStalled);
    }
  });
}

/** Streams the body with the byte at offset floor(size / 2) of the blob flipped, for full and ranged GETs alike. */
function corrupt(up: IncomingMessage, res: ServerResponse, status: number, headers: OutgoingHttpHeaders): void {
  let start = 0;
  let total = Number(up.headers["content-length"] ?? NaN);
  const cr = /^bytes (\d+)-\d+\/(\d+)$/.exec(String(up.headers["content-range"] ?? ""));
  if (status === 206 && cr) {
    start = Number(cr[1]);
    total = Number(cr[2]);
  }
  if (!Number.isFinite(total)) throw new Error("proxy: corruptBlob response has no length");
  const flipAt = Math.floor(total / 2);
  let offset = start;
  res.writeHead(status, headers);
  up.on("data", (chunk: Uint8Array) => {
    if (flipAt >= offset && flipAt < offset + chunk.length) {
      const copy = new Uint8Array(chunk);
      copy[flipAt - offset] = copy[flipAt - offset]! ^ 0xff;
      chunk = copy;
    }
    offset += chunk.length;
    res.write(chunk);
  });
  up.on("end", () => res.end());
  up.on("error", () => res.destroy());
}
