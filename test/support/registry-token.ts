/**
 * A docker token auth server (distribution's "Token Authentication Specification" and its
 * OAuth2 variant) for registry-client tests. GET /token with optional Basic auth, POST /token
 * with grant_type=password or refresh_token. Tokens are RS256 JWTs whose header carries the
 * self-signed cert in x5c; distribution 2.8 accepts them because that same cert is its
 * rootcertbundle (a leaf that is itself a trusted root verifies).
 */
import { Buffer } from "node:buffer";
import { createSign, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { closeServer, listenLoopback, makeTempDir, removeDir, runTool } from "./registry-net.ts";

export interface TokenRequest {
  /** Requested scopes joined by " " ("" when none), e.g. "repository:lib/app:pull,push". */
  scope: string;
  /** The authenticated user; undefined for anonymous requests and for failed logins. */
  user: string | undefined;
  /** Set on POST grant_type=refresh_token requests. */
  refreshToken?: boolean;
  /** HTTP status the server answered with. */
  status: number;
}

export interface TokenServer {
  /** "http://127.0.0.1:PORT/token" */
  realm: string;
  service: string;
  issuer: string;
  /** PEM of the signing cert, for the registry's auth.token.rootcertbundle. */
  certPath: string;
  requests: TokenRequest[];
  stop(): Promise<void>;
}

export interface TokenServerOptions {
  users: Record<string, string>;
  /** Anonymous requests get `pull` (and nothing else). Default true. */
  anonymousPull?: boolean;
}

const SERVICE = "wharf-test-registry";
const ISSUER = "wharf-test-token-issuer";
const EXPIRES_IN = 300;

interface Access {
  type: string;
  name: string;
  actions: string[];
}

export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const anonymousPull = options.anonymousPull ?? true;
  const dir = await makeTempDir("wharf-token-");
  const certPath = join(dir, "cert.pem");
  const keyPath = join(dir, "key.pem");
  try {
    await runTool(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=wharf-test-token", "-days", "1", "-keyout", keyPath, "-out", certPath],
      dir,
    );
  } catch (e) {
    await removeDir(dir);
    throw e;
  }
  const privateKey = await readFile(keyPath, "utf8");
  const certDer = pemBody(await readFile(certPath, "utf8"));
  const requests: TokenRequest[] = [];
  const refreshTokens = new Map<string, string>();

  const sign = (user: string | undefined, access: Access[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: "JWT", alg: "RS256", x5c: [certDer] };
    const claims = {
      iss: ISSUER,
      sub: user ?? "",
      aud: SERVICE,
      exp: now + EXPIRES_IN,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(16).toString("hex"),
      access,
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = createSign("RSA-SHA256").update(input).sign(privateKey);
    return `${input}.${b64url(signature)}`;
  };

  const newRefreshToken = (user: string): string => {
    const t = `wharf-refresh-${randomBytes(16).toString("hex")}`;
    refreshTokens.set(t, user);
    return t;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://token.invalid");
    if (url.pathname !== "/token") return json(res, 404, { errors: [{ code: "NOT_FOUND", message: "no such endpoint" }] });

    if (req.method === "GET") {
      const scopes = url.searchParams.getAll("scope").flatMap((s) => s.split(" ")).filter(Boolean);
      const scope = scopes.join(" ");
      const login = basicAuth(req.headers.authorization);
      if (login && options.users[login.user] !== login.password) return unauthorized(res, requests, { scope, user: undefined });
      if (!login && !anonymousPull) return unauthorized(res, requests, { scope, user: undefined });
      const user = login?.user;
      const token = sign(user, grant(scopes, user !== undefined));
      requests.push({ scope, user, status: 200 });
      const body: Record<string, unknown> = { token, access_token: token, expires_in: EXPIRES_IN, issued_at: new Date().toISOString() };
      // Spec: offline_token=true asks for a refresh token, given only to a logged-in user.
      if (user !== undefined && url.searchParams.get("offline_token") === "true") body.refresh_token = newRefreshToken(user);
      return json(res, 200, body);
    }

    if (req.method === "POST") {
      const form = new URLSearchParams(await readBody(req));
      const scopes = (form.get("scope") ?? "").split(" ").filter(Boolean);
      const scope = scopes.join(" ");
      const grantType = form.get("grant_type");
      let user: string | undefined;
      let refresh: string | undefined;
      if (grantType === "password") {
        const name = form.get("username") ?? "";
        if (!(name in options.users) || options.users[name] !== form.get("password")) {
          return unauthorized(res, requests, { scope, user: undefined });
        }
        user = name;
        refresh = newRefreshToken(name);
      } else if (grantType === "refresh_token") {
        refresh = form.get("refresh_token") ?? "";
        user = refreshTokens.get(refresh);
        if (user === undefined) return unauthorized(res, requests, { scope, user: undefined, refreshToken: true });
      } else {
        requests.push({ scope, user: undefined, status: 400 });
        return json(res, 400, { error: "unsupported_grant_type" });
      }
      const token = sign(user, grant(scopes, true));
      requests.push({ scope, user, status: 200, ...(grantType === "refresh_token" ? { refreshToken: true } : {}) });
      return json(res, 200, {
        access_token: token,
        refresh_token: refresh,
        expires_in: EXPIRES_IN,
        issued_at: new Date().toISOString(),
        scope,
        token_type: "Bearer",
      });
    }
    return json(res, 405, { errors: [{ code: "UNSUPPORTED", message: "method not allowed" }] });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: Error) => json(res, 500, { errors: [{ code: "UNKNOWN", message: e.message }] }));
  });
  let host: string;
  try {
    host = await listenLoopback(server);
  } catch (e) {
    await removeDir(dir);
    throw e;
  }
  let stopping: Promise<void> | undefined;
  return {
    realm: `http://${host}/token`,
    service: SERVICE,
    issuer: ISSUER,
    certPath,
    requests,
    stop: () => (stopping ??= closeServer(server).then(() => removeDir(dir))),
  };
}

/**
 * What a token grants: every requested action to a logged-in user, only `pull` to an anonymous
 * one. "type:name:actions" where the name may itself hold ':' (a host:port), so split at the ends.
 */
function grant(scopes: string[], authenticated: boolean): Access[] {
  const out: Access[] = [];
  for (const s of scopes) {
    const first = s.indexOf(":");
    const last = s.lastIndexOf(":");
    if (first < 0 || last <= first) continue;
    const requested = s.slice(last + 1).split(",").filter(Boolean);
    const actions = authenticated ? requested : requested.filter((a) => a === "pull");
    out.push({ type: s.slice(0, first), name: s.slice(first + 1, last), actions });
  }
  return out;
}

function unauthorized(res: ServerResponse, log: TokenRequest[], entry: Omit<TokenRequest, "status">): void {
  log.push({ ...entry, status: 401 });
  json(res, 401, { errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] });
}

function basicAuth(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? "");
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = text.indexOf(":");
  // A malformed credential is a failed login, not an anonymous request.
  return colon < 0 ? { user: text, password: "\0" } : { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { "content-type": "application/json", "content-length": String(bytes.length) });
  res.end(bytes);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function pemBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
}

function b64url(data: string | Uint8Array): string {
  return Buffer.from(data).toString("base64").replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}
