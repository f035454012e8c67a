// `option forwardfor [except NET] [header NAME] [if-none]` (configuration.txt 4.2), applied once
// every http-request rule of the frontend and the backend has run, as HAProxy adds it: when either
// proxy asks for it, under the backend's header name if the backend asks, skipped for a client in
// either proxy's `except` network, and with `if-none` only when both that ask say so.
import { BlockList, isIPv6 } from 'node:net';
import type { ForwardForOptions } from '../config/model.ts';
import { isUnixClient } from './client-address.ts';

interface Asking {
  forwardFor: boolean;
  forwardForHeader?: string;
  forwardForOptions?: ForwardForOptions;
}

const blocks = new WeakMap<NonNullable<ForwardForOptions['except']>, BlockList>();

function excepted(p: Asking, ip: string): boolean {
  const net = p.forwardForOptions?.except;
  if (!p.forwardFor || net === undefined) return false;
  let list = blocks.get(net);
  if (list === undefined) {
    list = new BlockList();
    list.addSubnet(net.address, net.prefix, net.family);
    blocks.set(net, list);
  }
  return list.check(ip, isIPv6(ip) ? 'ipv6' : 'ipv4');
}

function hasHeader(headers: readonly string[], lower: string): boolean {
  for (let i = 0; i < headers.length; i += 2) {
    const k = headers[i] as string;
    if (k.length === lower.length && k.toLowerCase() === lower) return true;
  }
  return false;
}

/** Append the client's address to the forwarded request's headers when the proxies ask for it. */
export function addForwardedFor(headers: string[], fe: Asking, be: Asking, clientIp: string): void {
  // HAProxy adds nothing for a unix-socket client: it has no address.
  if ((!fe.forwardFor && !be.forwardFor) || isUnixClient(clientIp)) return;
  const name = be.forwardFor ? (be.forwardForHeader ?? 'X-Forwarded-For') : (fe.forwardForHeader ?? 'X-Forwarded-For');
  const always = (fe.forwardFor && fe.forwardForOptions?.ifNone !== true) || (be.forwardFor && be.forwardForOptions?.ifNone !== true);
  if (!always && hasHeader(headers, name.toLowerCase())) return;
  if (excepted(fe, clientIp) || excepted(be, clientIp)) return;
  headers.push(name, clientIp);
}
