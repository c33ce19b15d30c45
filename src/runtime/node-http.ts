/**
 * GETs over node:http(s) for Node's adapter (Runtime.fetchGet): Node's `fetch` copies every
 * byte of a body three times on the main thread (into its wasm HTTP parser, out of it, and into
 * a fresh Uint8Array per chunk), which made a 250 MB pull's downloads a third of that thread's
 * work. Here the body is the socket's own chunks, handed on as they are. Same contract as `fetch`
 * for what the registry client asks: redirects followed (Authorization dropped when one leads to
 * another origin, as `fetch` does), a `Response` with a streamed body, network failures thrown.
 */
import type * as Http from "node:http";
import type * as Net from "node:net";
import type { IncomingMessage } from "node:http";
import type { FetchGet } from "../ports.ts";
import { rawGet } from "./node-raw-get.ts";

type Clients = { http: typeof Http; https: typeof Http; net: typeof Net };

/** A response whose body is not read yet: taken as a `Response`, or dropped (a redirect's). */
interface Answer {
  status: number;
  location: string | undefined;
  response(): Response;
  drop(): void;
}

const MAX_REDIRECTS = 20;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Statuses whose Response must have no body. */
const NULL_BODY = new Set([204, 205, 304]);
/** Body bytes queued ahead of the reader before the socket is paused. */
const BODY_AHEAD = 1 << 20;

/** node:http and node:https are loaded here, not at import: a bundle for the browser holds this module unused. */
export async function nodeFetchGet(): Promise<FetchGet> {
  const clients: Clients = { http: await import("node:http"), https: (await import("node:https")) as unknown as typeof Http, net: await import("node:net") };
  return (url, init) => fetchGet(clients, url, init);
}

async function fetchGet(clients: Clients, url: string, init: { headers: Record<string, string> }): Promise<Response> {
  let target = new URL(url);
  const headers = { ...init.headers };
  for (let redirects = 0; ; redirects++) {
    const answer = await get(clients, target, headers);
    const location = answer.location;
    if (!REDIRECTS.has(answer.status) || location === undefined) return answer.response();
    answer.drop(); // the redirect's own body is not wanted
    if (redirects === MAX_REDIRECTS) throw new TypeError(`${url}: more than ${MAX_REDIRECTS} redirects`);
    const next = new URL(location, target);
    if (next.protocol !== "http:" && next.protocol !== "https:") throw new TypeError(`${url}: redirected to ${next.protocol} URL`);
    if (next.origin !== target.origin) {
      for (const name of Object.keys(headers)) if (name.toLowerCase() === "authorization") delete headers[name];
    }
    target = next;
  }
}

/** One GET: plain http on a bare socket (node-raw-get.ts) unless its response is one that reader leaves to node:http. */
async function get(clients: Clients, url: URL, headers: Record<string, string>): Promise<Answer> {
  const raw = url.protocol === "http:" ? await rawGet(clients.net, url, headers) : undefined;
  if (raw) {
    const fields = new Headers();
    for (let i = 0; i < raw.rawHeaders.length; i += 2) fields.append(raw.rawHeaders[i]!, raw.rawHeaders[i + 1]!);
    return {
      status: raw.status,
      location: fields.get("location") ?? undefined,
      response: () => new Response(raw.body, { status: raw.status, statusText: raw.statusText, headers: fields }),
      drop: () => void raw.body?.cancel().catch(() => {}),
    };
  }
  const message = await nodeGet(clients, url, headers);
  return { status: message.statusCode ?? 0, location: message.headers.location, response: () => toResponse(message), drop: () => void message.resume() };
}

/**
 * One GET through node:http(s); a kept-alive connection the server closed meanwhile (reset as it
 * is reused) is retried once on a new one, as Node's documentation advises for idempotent requests.
 */
function nodeGet(clients: Clients, url: URL, headers: Record<string, string>, retried = false): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === "https:" ? clients.https : clients.http).get(url, { headers }, resolve);
    request.on("error", (e: NodeJS.ErrnoException) => {
      if (!retried && request.reusedSocket && e.code === "ECONNRESET") resolve(nodeGet(clients, url, headers, true));
      else reject(e);
    });
  });
}

function toResponse(message: IncomingMessage): Response {
  const status = message.statusCode ?? 0;
  const headers = new Headers();
  for (let i = 0; i < message.rawHeaders.length; i += 2) headers.append(message.rawHeaders[i]!, message.rawHeaders[i + 1]!);
  if (NULL_BODY.has(status)) {
    message.resume();
    return new Response(null, { status, statusText: message.statusMessage, headers });
  }
  return new Response(bodyStream(message), { status, statusText: message.statusMessage, headers });
}

/** The message's chunks as they come; the socket pauses while the reader is behind. */
function bodyStream(message: IncomingMessage): ReadableStream<Uint8Array> {
  let ended = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      message.on("data", (chunk: Buffer) => {
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 0) <= 0) message.pause();
      });
      message.on("end", () => {
        ended = true;
        controller.close();
      });
      // A connection lost mid-body: the reader sees an error, as with `fetch` ("terminated").
      message.on("close", () => {
        if (!ended) controller.error(new TypeError("terminated: the connection closed before the body ended"));
      });
      message.on("error", (e) => controller.error(e));
    },
    pull() {
      message.resume();
    },
    cancel() {
      message.destroy();
    },
  }, new ByteLengthQueuingStrategy({ highWaterMark: BODY_AHEAD }));
}
