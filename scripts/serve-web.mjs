#!/usr/bin/env node
// `npm run web [-- --port N]`: builds the web inspector and serves web/dist on 127.0.0.1 only.
// The page reads the archive you open in the browser tab; this server only hands out the page.
import { createServer } from "node:http";
import { existsSync, readFileSync } from "node:fs";
import { extname, join, normalize } from "node:path";
import { buildWeb } from "./build-web.mjs";

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".map": "application/json" };

const argv = process.argv.slice(2);
let port = 8080;
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === "--port" || a === "-p") port = Number(argv[++i]);
  else if (a.startsWith("--port=")) port = Number(a.slice("--port=".length));
  else {
    console.error(`serve-web: unknown argument ${a} (usage: serve-web.mjs [--port N])`);
    process.exit(2);
  }
}
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error("serve-web: --port needs a number from 0 to 65535");
  process.exit(2);
}

const dir = await buildWeb();
const server = createServer((req, res) => {
  const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
  const rel = normalize(decodeURIComponent(path === "/" ? "/index.html" : path)).replace(/^\/+/, "");
  const file = join(dir, rel);
  if (rel.startsWith("..") || !existsSync(file)) {
    res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    return;
  }
  res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-cache" });
  res.end(readFileSync(file));
});
server.on("error", (err) => {
  console.error(`serve-web: ${err.code === "EADDRINUSE" ? `port ${port} is in use (try --port)` : err.message}`);
  process.exit(1);
});
server.listen(port, "127.0.0.1", () => {
  console.log(`wharf inspector: http://127.0.0.1:${server.address().port}/  (Ctrl-C to stop)`);
});
