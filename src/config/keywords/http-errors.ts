// Error pages from elsewhere than `errorfile`: `http-errors NAME` sections (configuration.txt
// 3.8) of `errorfile CODE FILE` lines, imported into a proxy by `errorfiles NAME [CODE…]`, and
// `errorloc` / `errorloc302` / `errorloc303 CODE URL`, a redirect instead of the page. The last
// line for a code wins, as HAProxy applies them in order; sections are resolved once all are read.
import { isAbsolute, resolve } from 'node:path';
import { diagnostic } from '../diagnostics.ts';
import type { ErrorfileDraft, GlobalDraft, ProxyDraft } from '../draft.ts';
import type { Diagnostic, Location } from '../model.ts';
import type { RawSection } from '../parse.ts';
import { ERRORFILE_CODES } from './proxy.ts';
import type { ProxyContext, ProxyKeyword } from './types.ts';
import { ALL_PROXIES } from './types.ts';

const NAME = /^[A-Za-z0-9_.:-]+$/;

function isCode(code: string): boolean {
  return /^\d+$/.test(code) && ERRORFILE_CODES.includes(Number(code));
}

/** Read one `http-errors NAME` section into `global.httpErrors`. */
export function readHttpErrors(global: GlobalDraft, section: RawSection, diags: Diagnostic[]): void {
  const [name, ...extra] = section.args;
  const err = (loc: Location, m: string): void => void diags.push(diagnostic('error', loc, m));
  if (name === undefined) return err(section.loc, 'missing name for http-errors section');
  if (extra.length > 0) return err(section.loc, `unexpected '${extra.join(' ')}' after the http-errors name`);
  if (!NAME.test(name)) return err(section.loc, `invalid http-errors name '${name}' (letters, digits, '_', '.', ':', '-')`);
  const prev = global.httpErrors[name];
  if (prev !== undefined) return err(section.loc, `http-errors section '${name}' already exists (declared at ${prev.loc.file}:${prev.loc.line})`);
  const errorfiles: Record<string, { path: string; loc: Location }> = {};
  for (const line of section.lines) {
    const [kw, code, path, ...more] = line.words;
    if (kw !== 'errorfile') {
      err(line.loc, `unknown keyword '${kw ?? ''}' in 'http-errors' section (expected 'errorfile')`);
      continue;
    }
    if (code === undefined || path === undefined || more.length > 0) err(line.loc, "'errorfile' expects <status_code> and <file> as arguments");
    else if (!isCode(code)) err(line.loc, `status code '${code}' cannot be customised with errorfile (supported: ${ERRORFILE_CODES.join(' ')})`);
    else errorfiles[code] = { path, loc: line.loc };
  }
  global.httpErrors[name] = { errorfiles, loc: section.loc };
}

function parseErrorfiles(ctx: ProxyContext): void {
  const [name, ...codes] = ctx.args;
  if (name === undefined) return ctx.error("'errorfiles' expects the name of an http-errors section, then optional status codes");
  const bad = codes.find((c) => !isCode(c));
  if (bad !== undefined) return ctx.error(`'errorfiles': status code '${bad}' is not one HAProxy generates (${ERRORFILE_CODES.join(' ')})`);
  const explicit = codes.length > 0;
  for (const code of explicit ? codes : ERRORFILE_CODES.map(String)) {
    const previous = ctx.proxy.errorfiles[code];
    const entry: ErrorfileDraft = { section: name, explicit, loc: ctx.loc };
    if (previous !== undefined) entry.previous = previous;
    ctx.proxy.errorfiles[code] = entry;
  }
}

function errorloc(keyword: string, code: 302 | 303): ProxyKeyword {
  return {
    name: keyword,
    sections: ALL_PROXIES,
    parse(ctx) {
      const [status, url, ...extra] = ctx.args;
      if (status === undefined || url === undefined || extra.length > 0) return ctx.error(`'${keyword}' expects <status_code> and <url> as arguments`);
      if (!isCode(status)) return ctx.error(`'${keyword}': status code '${status}' is not one HAProxy generates (${ERRORFILE_CODES.join(' ')})`);
      ctx.proxy.errorfiles[status] = { redirect: url, code, loc: ctx.loc };
    },
  };
}

export const proxyKeywords: ProxyKeyword[] = [
  { name: 'errorfiles', sections: ALL_PROXIES, parse: parseErrorfiles },
  errorloc('errorloc', 302),
  errorloc('errorloc302', 302),
  errorloc('errorloc303', 303),
];

/** An unknown http-errors section is an error; a listed code the section lacks, a warning (as HAProxy). */
export function checkErrorfiles(global: GlobalDraft, p: ProxyDraft, diags: Diagnostic[]): void {
  const seen = new Set<ErrorfileDraft>();
  for (const [code, first] of Object.entries(p.errorfiles)) {
    for (let e: ErrorfileDraft | undefined = first; e !== undefined && 'section' in e; e = e.previous) {
      if (seen.has(e)) continue;
      seen.add(e);
      const sec = global.httpErrors[e.section];
      if (sec === undefined) diags.push(diagnostic('error', e.loc, `unknown http-errors section '${e.section}' in ${p.kind} '${p.name}'`));
      else if (e.explicit && sec.errorfiles[code] === undefined) diags.push(diagnostic('warning', e.loc, `status '${code}' not declared in http-errors section '${e.section}'`));
    }
  }
}

/** The redirect HAProxy sends for `errorloc`: a full response, as an errorfile holds one. */
function errorlocText(url: string, code: 302 | 303): string {
  return `HTTP/1.1 ${code === 302 ? '302 Found' : '303 See Other'}\r\nCache-Control: no-cache\r\nContent-length: 0\r\nLocation: ${url}\r\n\r\n`;
}

/** A file to read into `target[code]`. */
export interface FileToRead {
  target: Record<string, string>;
  code: string;
  path: string;
  loc: Location;
}

/** Where the page for one code comes from: a file to read, the text itself (errorloc), or nothing. */
export function resolveErrorfile(global: GlobalDraft, e: ErrorfileDraft | undefined, code: string, baseDir: string): { path: string; loc: Location } | { text: string } | undefined {
  if (e === undefined) return undefined;
  if ('path' in e) return { path: isAbsolute(e.path) ? e.path : resolve(baseDir, e.path), loc: e.loc };
  if ('redirect' in e) return { text: errorlocText(e.redirect, e.code) };
  const file = global.httpErrors[e.section]?.errorfiles[code];
  if (file !== undefined) return { path: isAbsolute(file.path) ? file.path : resolve(baseDir, file.path), loc: file.loc };
  return resolveErrorfile(global, e.previous, code, baseDir);
}

/** A proxy's pages by code: errorloc texts filled in, files listed in `reads` for load.ts. */
export function errorfilesModel(global: GlobalDraft, p: ProxyDraft, baseDir: string, reads: FileToRead[]): Record<string, string> {
  const target: Record<string, string> = {};
  for (const [code, e] of Object.entries(p.errorfiles)) {
    const r = resolveErrorfile(global, e, code, baseDir);
    if (r === undefined) continue;
    if ('text' in r) target[code] = r.text;
    else reads.push({ target, code, path: r.path, loc: r.loc });
  }
  return target;
}
