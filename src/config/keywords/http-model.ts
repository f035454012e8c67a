// What build.ts and validate.ts need of the HTTP rules: each proxy's rule lists and options in
// the model, the files rules name (resolved once every section is read), and the checks that need
// the whole configuration (http-errors sections, userlists, a tcp frontend's HTTP rules).
import { isAbsolute, resolve } from 'node:path';
import { diagnostic } from '../diagnostics.ts';
import type { GlobalDraft, ProxyDraft } from '../draft.ts';
import type { Backend, Diagnostic, Frontend, HttpRules, Location } from '../model.ts';
import type { PayloadRef } from '../reply-files.ts';
import { checkErrorfiles, type FileToRead } from './http-errors.ts';

function resolvePath(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

function rulesOf(p: ProxyDraft): HttpRules {
  return { httpRequest: p.httpRequest, redirects: p.redirects, httpResponse: p.httpResponse, httpAfterResponse: p.httpAfterResponse };
}

const NO_RULES = (): HttpRules => ({ httpRequest: [], redirects: [], httpResponse: [], httpAfterResponse: [] });

/** The HTTP fields of a frontend (or a listen's frontend half). */
export function frontendHttp(p: ProxyDraft): Pick<Frontend, 'http' | 'monitor' | 'forwardForOptions'> {
  const out: Pick<Frontend, 'http' | 'monitor' | 'forwardForOptions'> = { http: rulesOf(p) };
  if (p.monitor?.uri !== undefined) out.monitor = { uri: p.monitor.uri, fail: p.monitor.fail };
  if (p.forwardForOptions !== undefined) out.forwardForOptions = p.forwardForOptions;
  return out;
}

/** The HTTP fields of a backend: a listen's rules run once, in its frontend half. */
export function backendHttp(p: ProxyDraft): Pick<Backend, 'http' | 'forwardForOptions'> {
  const out: Pick<Backend, 'http' | 'forwardForOptions'> = { http: p.kind === 'listen' ? NO_RULES() : rulesOf(p) };
  if (p.forwardForOptions !== undefined) out.forwardForOptions = p.forwardForOptions;
  return out;
}

/**
 * Resolve the files and http-errors sections rules name: an `errorfile F` or a section's file
 * becomes a file to read into the reply, a payload file a PayloadRef. A section that does not
 * exist is an error; one without the status, a warning (the proxy's page is sent, as HAProxy).
 */
export function resolveReplyFiles(global: GlobalDraft, baseDir: string, diags: Diagnostic[]): { reads: FileToRead[]; payloads: PayloadRef[] } {
  const reads: FileToRead[] = [];
  const payloads: PayloadRef[] = [];
  for (const pr of global.pendingReplies) {
    const reply = pr.holder.reply;
    const src = pr.source;
    if ('file' in src) {
      if (reply.kind === 'payload' && reply.body.kind !== 'none') payloads.push({ body: reply.body, path: resolvePath(baseDir, src.file), loc: pr.loc });
      continue;
    }
    let path: string;
    let loc: Location = pr.loc;
    if ('errorfile' in src) path = resolvePath(baseDir, src.errorfile);
    else {
      const sec = global.httpErrors[src.section];
      if (sec === undefined) {
        diags.push(diagnostic('error', pr.loc, `unknown http-errors section '${src.section}' referenced by an http reply`));
        continue;
      }
      const file = sec.errorfiles[String(reply.status)];
      if (file === undefined) {
        diags.push(diagnostic('warning', pr.loc, `status '${reply.status}' referenced by an http reply is not declared in http-errors section '${src.section}': the proxy's error page is sent`));
        continue;
      }
      path = resolvePath(baseDir, file.path);
      loc = file.loc;
    }
    const errorfile = { kind: 'errorfile' as const, status: reply.status, file: { path, text: '' } };
    pr.holder.reply = errorfile;
    reads.push({ target: errorfile.file, code: 'text', path, loc });
  }
  return { reads, payloads };
}

/** A tcp frontend parses no HTTP: its HTTP rules, redirects and monitor-uri are dropped with a warning each. */
export function dropHttpRules(p: ProxyDraft, diags: Diagnostic[]): void {
  const locs = [...p.httpRequest, ...p.httpResponse, ...p.httpAfterResponse, ...p.redirects].map((r) => r.loc);
  for (const loc of locs) diags.push(diagnostic('warning', loc, `HTTP rule ignored: ${p.kind} '${p.name}' is in tcp mode`));
  p.httpRequest = [];
  p.httpResponse = [];
  p.httpAfterResponse = [];
  p.redirects = [];
  if (p.monitor !== undefined) diags.push(diagnostic('warning', p.loc, `'monitor-uri' ignored: ${p.kind} '${p.name}' is in tcp mode`));
  delete p.monitor;
}

/** What needs every section: the http-errors sections proxies import. */
export function checkHttpReferences(global: GlobalDraft, proxies: readonly ProxyDraft[], diags: Diagnostic[]): void {
  for (const p of proxies) checkErrorfiles(global, p, diags);
}
