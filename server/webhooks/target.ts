import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { config } from '../platform/config';

/**
 * Where webhooks may go (SPEC §13, the SSRF guard): https only in production; never to private,
 * loopback, link-local or other non-public addresses unless allow-listed (WEBHOOK_ALLOWED_TARGETS),
 * loopback being fine outside production. The address is checked when the connection is made (the
 * `lookup` below), not only when the URL is saved, so a name that later resolves to an inner address
 * (DNS rebinding) is refused too. Redirects are never followed (sender.ts).
 */
export class TargetRefused extends Error {}

interface Allowed {
  hosts: Set<string>;
  subnets: [ipaddr.IPv4 | ipaddr.IPv6, number][];
}

function allowList(): Allowed {
  const hosts = new Set<string>();
  const subnets: Allowed['subnets'] = [];
  for (const raw of config()
    .WEBHOOK_ALLOWED_TARGETS.split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)) {
    if (raw.includes('/') && ipaddr.isValidCIDR(raw)) subnets.push(ipaddr.parseCIDR(raw));
    else if (ipaddr.isValid(raw)) subnets.push([ipaddr.parse(raw), ipaddr.parse(raw).kind() === 'ipv4' ? 32 : 128]);
    else hosts.add(raw);
  }
  return { hosts, subnets };
}

const production = () => config().NODE_ENV === 'production';

/** Why an address may not be a webhook target, or null when it may. */
export function addressRefusal(address: string, host: string): string | null {
  if (!ipaddr.isValid(address)) return `not an address: ${address}`;
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  const range = ip.range();
  if (range === 'unicast') return null;
  const allowed = allowList();
  if (allowed.hosts.has(host.toLowerCase())) return null;
  if (allowed.subnets.some(([net, bits]) => net.kind() === ip.kind() && ip.match(net, bits))) return null;
  if (range === 'loopback' && !production()) return null;
  return `${address} is a ${range} address (not allowed as a webhook target; see WEBHOOK_ALLOWED_TARGETS)`;
}

/** Problems with a target URL itself (scheme, credentials), for the endpoint form and API. */
export function urlProblem(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http(s) URL';
  if (url.protocol === 'http:' && production()) return 'must be https';
  if (url.username || url.password) return 'must not carry a user name or password';
  if (url.hash) return 'must not have a #fragment';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(host)) return addressRefusal(host, host);
  return null;
}

/** Resolves the host and refuses a forbidden address at connection time. */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 4);
    const list = addresses as unknown as dns.LookupAddress[];
    for (const a of list) {
      const refusal = addressRefusal(a.address, hostname);
      if (refusal) return callback(new TargetRefused(refusal), '', 4);
    }
    const first = list[0];
    if (!first) return callback(new TargetRefused(`${hostname} has no address`), '', 4);
    if ((options as { all?: boolean }).all) return (callback as (e: null, a: dns.LookupAddress[]) => void)(null, list);
    return callback(null, first.address, first.family);
  });
};
