/**
 * A plain-http GET on a bare socket for Node's fetchGet (node-http.ts): the kernel reads the body
 * straight into 1 MiB pieces of `transferPieces`, and the codec worker's client hands such a piece
 * on by transfer, so a blob's bytes are copied once on the main thread (node:http copies them
 * twice more, and faults in a fresh buffer per read). One request per connection (`Connection:
 * close`); bodies by Content-Length, chunked (decoded in place) or up to the close. An interim
 * 1xx response answers `undefined` before anything is read: the caller asks node:http instead.
 */
import type * as Net from "node:net";
import { transferPieces } from "../io/chunk-pool.ts";

/** Where the header section must have ended. */
const HEADER_LIMIT = 64 << 10;
/** A chunk-size line (with its extensions) or a trailer line longer than this is refused. */
const LINE_LIMIT = 4096;
/** A reader that waits gets what has come once there is this much (or the body ends). */
const MIN_HAND_ON = 64 << 10;
/** Statuses whose Response must have no body. */
const NULL_BODY = new Set([204, 205, 304]);

export interface RawResponse {
  status: number;
  statusText: string;
  /** Header fields in order, names as sent. */
  rawHeaders: string[];
  body: ReadableStream<Uint8Array> | null;
}

type ChunkState = "size" | "data" | "data-end" | "trailer" | "done";

export function rawGet(net: typeof Net, url: URL, headers: Record<string, string>): Promise<RawResponse | undefined> {
  let head = `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) return Promise.reject(new TypeError(`invalid header ${JSON.stringify(name)}: it holds a line break`));
    if (name.toLowerCase() === "host" || name.toLowerCase() === "connection") continue;
    head += `${name}: ${value}\r\n`;
  }
  head += "\r\n";

  return new Promise((resolve, reject) => {
    let piece = transferPieces.get();
    // piece[0, filled) is body; piece[filled, raw) is read but not decoded yet (chunk framing).
    let filled = 0;
    let raw = 0;
    let headerDone = false;
    let remaining = Infinity; // body bytes still to come (Content-Length), or until the close / last chunk
    let chunked: { state: ChunkState; left: number } | undefined;
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
    let wanted = false; // the queue ran dry: the piece goes out at a read once it holds MIN_HAND_ON
    let finished = false;

    const socket = net.connect({
      host: url.hostname.replace(/^\[|\]$/g, ""),
      port: Number(url.port || 80),
      onread: {
        // Every read lands after what the piece holds already. Only a read's callback changes
        // pieces: Node asks for the next buffer right after it.
        buffer: () => piece.subarray(raw),
        callback: (n: number) => {
          raw += n;
          if (!headerDone) return readHead();
          return readBody();
        },
      },
    });
    socket.setNoDelay(true);
    socket.on("connect", () => socket.write(head));
    socket.on("error", (e) => fail(e));
    socket.on("close", () => {
      if (!headerDone) fail(new TypeError("the connection closed before the response headers"));
      else if (remaining === Infinity && !chunked) end();
      else fail(new TypeError("terminated: the connection closed before the body ended"));
    });

    function fail(e: unknown): false {
      if (finished) return false;
      finished = true;
      socket.destroy();
      if (controller) controller.error(e);
      else reject(e);
      return false;
    }

    function readHead(): boolean {
      const stop = headerEnd(piece, raw);
      if (stop < 0) return raw < HEADER_LIMIT || fail(new TypeError(`the response headers from ${url.host} are longer than ${HEADER_LIMIT} bytes`));
      headerDone = true;
      let text = "";
      for (let i = 0; i < stop; i++) text += String.fromCharCode(piece[i]!);
      const lines = text.split("\r\n");
      const status = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0]!);
      if (!status) return fail(new TypeError(`malformed response status line from ${url.host}: ${JSON.stringify(lines[0]!.slice(0, 80))}`));
      const rawHeaders: string[] = [];
      let length: number | undefined;
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(":");
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        rawHeaders.push(name, value);
        const lower = name.toLowerCase();
        if (lower === "content-length") length = /^\d+$/.test(value) ? Number(value) : NaN;
        if (lower === "transfer-encoding" && value.toLowerCase() !== "identity") chunked = { state: "size", left: 0 };
      }
      const code = Number(status[1]);
      if (code < 200) {
        // An interim response (103 Early Hints, say): nothing was handed on, node:http takes the GET.
        finished = true;
        socket.destroy();
        resolve(undefined);
        return false;
      }
      if (Number.isNaN(length) && !chunked) return fail(new TypeError(`invalid Content-Length from ${url.host}`));
      const response = { status: code, statusText: status[2] ?? "", rawHeaders };
      if (NULL_BODY.has(code)) {
        finished = true;
        socket.destroy();
        resolve({ ...response, body: null });
        return false;
      }
      if (!chunked) remaining = length ?? Infinity;
      // The body's first bytes move to the piece's start, so the piece is handed on whole.
      piece.copyWithin(0, stop + 4, raw);
      raw -= stop + 4;
      resolve({ ...response, body: new ReadableStream<Uint8Array>({
        start: (c) => {
          controller = c;
        },
        pull: () => {
          if (finished) return;
          wanted = true;
          socket.resume();
        },
        cancel: () => {
          finished = true;
          socket.destroy();
        },
      }, { highWaterMark: 1 }) });
      return readBody();
    }

    /**
     * Decodes what came, then hands the piece on when it is full, the body complete, or the queue
     * dry; false pauses the socket: two pieces wait unread (one queued, one full).
     */
    function readBody(): boolean {
      if (finished || !controller) return true;
      if (chunked) {
        const problem = decodeChunks(chunked);
        if (problem) return fail(new TypeError(`malformed chunked body from ${url.host}: ${problem}`));
        if (chunked.state === "done") return end();
      } else {
        filled = raw;
        if (filled >= remaining) {
          filled = raw = remaining;
          return end();
        }
      }
      if (raw === piece.length || (wanted && filled >= MIN_HAND_ON)) {
        if (filled === 0) return fail(new TypeError(`malformed chunked body from ${url.host}: a line longer than ${piece.length} bytes`));
        handOn();
      }
      return (controller.desiredSize ?? 0) > -1;
    }

    /** Moves the data of piece[filled, raw) down to `filled`, dropping the framing; an error message, or undefined. */
    function decodeChunks(c: { state: ChunkState; left: number }): string | undefined {
      let at = filled;
      while (at < raw && c.state !== "done") {
        if (c.state === "data") {
          const n = Math.min(c.left, raw - at);
          if (at !== filled) piece.copyWithin(filled, at, at + n);
          filled += n;
          at += n;
          c.left -= n;
          if (c.left === 0) c.state = "data-end";
          continue;
        }
        const eol = lineEnd(piece, at, raw);
        if (eol < 0) {
          if (raw - at > LINE_LIMIT) return `a line longer than ${LINE_LIMIT} bytes`;
          break; // the rest of the line is still to come
        }
        let line = "";
        for (let i = at; i < eol; i++) line += String.fromCharCode(piece[i]!);
        at = eol + 2;
        if (c.state === "data-end") {
          if (line !== "") return "no line break after a chunk's data";
          c.state = "size";
        } else if (c.state === "size") {
          const size = line.split(";")[0]!.trim();
          if (!/^[0-9a-fA-F]{1,13}$/.test(size)) return `chunk size ${JSON.stringify(line.slice(0, 40))}`;
          c.left = parseInt(size, 16);
          c.state = c.left === 0 ? "trailer" : "data";
        } else if (line === "") c.state = "done"; // trailer fields are not kept
      }
      // What is left of a line moves down to follow the data.
      if (at !== filled) piece.copyWithin(filled, at, raw);
      raw = filled + (raw - at);
      return undefined;
    }

    function handOn(): void {
      const chunk = piece.subarray(0, filled);
      const next = transferPieces.get();
      next.set(piece.subarray(filled, raw)); // a line's start, in a chunked body
      raw -= filled;
      remaining -= filled;
      piece = next;
      filled = 0;
      wanted = false;
      controller!.enqueue(chunk);
    }

    function end(): false {
      if (finished) return false;
      raw = filled;
      if (filled > 0) handOn();
      finished = true;
      socket.destroy();
      controller?.close();
      return false;
    }
  });
}

/** Where the blank line ending the header section starts in the first `length` bytes, or -1. */
function headerEnd(bytes: Uint8Array, length: number): number {
  for (let i = 0; i + 3 < length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) return i;
  }
  return -1;
}

/** Where the next CRLF in bytes[from, to) starts, or -1. */
function lineEnd(bytes: Uint8Array, from: number, to: number): number {
  for (let i = from; i + 1 < to; i++) if (bytes[i] === 13 && bytes[i + 1] === 10) return i;
  return -1;
}
