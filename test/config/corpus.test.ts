// The corpus (test/config/corpus/*.cfg, see docs/config-corpus.md): every file is judged by
// `handoff check` and, when it is installed, by `haproxy -c`; the verdicts must agree. Without
// HAProxy the first-line record (`# expect: …`, written against HAProxy 2.6) stands in for it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testCert } from '../helpers/tls.ts';

const CORPUS = fileURLToPath(new URL('./corpus/', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/handoff.js', import.meta.url));
const FILES = readdirSync(CORPUS).filter((f) => f.endsWith('.cfg')).sort();
const PROCESS_TIMEOUT_MS = 15_000;
const CORPUS_BUDGET_MS = 60_000;

type Verdict = 'valid' | 'invalid' | 'no-listener';

interface Expectation {
  verdict: Verdict;
  /** HAProxy prints at least one [WARNING] (only recorded for valid files). */
  warnings: boolean;
  /** Lines an error may name (invalid files). */
  lines: number[];
}

interface Outcome {
  code: number | null;
  output: string;
  /** undefined when the process did not end normally (timeout, crash, usage error). */
  verdict: Verdict | undefined;
}

interface Judged {
  file: string;
  handoff: Outcome;
  haproxy: Outcome | undefined;
  /** HAProxy's verdict, or the record's when HAProxy is not installed. */
  reference: Verdict | undefined;
  /** The recorded reason handoff differs, if any. */
  difference?: string;
}

let work = '';
let env: NodeJS.ProcessEnv = {};
let haproxyMissing: string | undefined;
const judged: Judged[] = [];
const started = Date.now();

/** `# expect: valid|invalid|no-listener[, warnings][, line N | lines N M …]` on line 1. */
function parseExpectation(text: string): Expectation {
  const m = /^# expect: (valid|invalid|no-listener)((?:, [^,\n]+)*)\n/.exec(text);
  if (m === null) throw new Error('first line must be "# expect: valid|invalid|no-listener[, warnings][, line N]"');
  const extras = (m[2] ?? '').split(', ').filter((s) => s !== '');
  let warnings = false;
  let lines: number[] = [];
  for (const extra of extras) {
    if (extra === 'warnings') warnings = true;
    else if (/^lines? \d+( \d+)*$/.test(extra)) lines = extra.split(' ').slice(1).map(Number);
    else throw new Error(`unknown expectation '${extra}'`);
  }
  return { verdict: m[1] as Verdict, warnings, lines };
}

/**
 * `# handoff: valid|invalid|no-listener (deliberate|not implemented: WHY)` on line 2: where
 * handoff's verdict differs from HAProxy's on purpose (removed keywords read with their modern
 * meaning) or because a feature is refused until it lands. Every difference is written down here.
 */
function parseDifference(text: string): { verdict: Verdict; why: string } | undefined {
  const m = /^# handoff: (valid|invalid|no-listener) \(((?:deliberate|not implemented): [^)]+)\)$/m.exec(text.split('\n')[1] ?? '');
  return m === null ? undefined : { verdict: m[1] as Verdict, why: m[2] as string };
}

function run(cmd: string, args: string[]): Promise<{ code: number | null; output: string; failed?: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: CORPUS, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: PROCESS_TIMEOUT_MS });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (err) => resolve({ code: null, output, failed: err.message }));
    child.on('close', (code, signal) => resolve({ code, output: signal === null ? output : `${output}\n(killed by ${signal})` }));
  });
}

const NO_LISTENER = /will not start \(no listener\)/;

/** handoff check: 0 valid, 1 with its "has N errors" line invalid, 2 with "no listener"; anything else (a crash exits 1 too) is no verdict. */
function handoffVerdict(code: number | null, output: string): Verdict | undefined {
  if (code === 0) return 'valid';
  if (code === 1 && /^Configuration file has \d+ errors?$/m.test(output)) return 'invalid';
  if (code === 2 && NO_LISTENER.test(output)) return 'no-listener';
  return undefined;
}

/** haproxy -c: 0 valid, 2 with its "no listener" line, any other exit (1, 2) invalid. */
function haproxyVerdict(code: number | null, output: string): Verdict | undefined {
  if (code === null) return undefined;
  if (code === 0) return 'valid';
  return code === 2 && NO_LISTENER.test(output) ? 'no-listener' : 'invalid';
}

async function runHandoff(file: string): Promise<Outcome> {
  const r = await run(process.execPath, [BIN, 'check', '-f', file]);
  return { code: r.code, output: r.output, verdict: handoffVerdict(r.code, r.output) };
}

async function runHaproxy(file: string): Promise<Outcome | undefined> {
  if (haproxyMissing !== undefined) return undefined;
  const r = await run('haproxy', ['-c', '-f', file]);
  return { code: r.code, output: r.output.split('\n').filter((l) => !l.includes('[NOTICE]')).join('\n'), verdict: haproxyVerdict(r.code, r.output) };
}

/** The lines of `file` that HAProxy's messages name: `[file:N]` and `(file:N)`. */
function haproxyLines(file: string, output: string): number[] {
  const name = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return [...output.matchAll(new RegExp(`[[( ]${name}:(\\d+)[\\])]`, 'g'))].map((m) => Number(m[1]));
}

/** Every error line of handoff's output, as [line, text]; throws on one that names no FILE:LINE. */
function handoffErrors(file: string, output: string, lineCount: number): [number, string][] {
  const errors: [number, string][] = [];
  for (const line of output.split('\n').filter((l) => / error: /.test(l))) {
    const m = /^(.+?):(\d+): error: /.exec(line);
    assert.ok(m !== null && m[1] === file, `handoff error does not start with ${file}:LINE:\n${line}`);
    const n = Number(m[2]);
    assert.ok(n >= 1 && n <= lineCount + 1, `handoff error names line ${n}, outside 1..${lineCount + 1}:\n${line}`);
    errors.push([n, line]);
  }
  return errors;
}

function relevant(output: string): string {
  const lines = output.split('\n').filter((l) => /\[(ALERT|WARNING)\]|: (error|warning): |Configuration file|no listener/.test(l));
  return (lines.length > 0 ? lines : output.split('\n')).slice(0, 12).map((l) => `    ${l}`).join('\n');
}

function describe(j: Judged): string {
  const said = (o: Outcome) => `${o.verdict ?? `no verdict (exit ${o.code})`}\n${relevant(o.output)}`;
  const ha = j.haproxy === undefined ? `recorded: ${j.reference}` : `haproxy -c: ${said(j.haproxy)}`;
  return `${j.file}\n  ${ha}\n  handoff check: ${said(j.handoff)}`;
}

async function makeCertificates(dir: string): Promise<void> {
  await mkdir(join(dir, 'sni'), { recursive: true });
  for (const name of ['site', 'api']) {
    const key = join(dir, `${name}.key`);
    const crt = join(dir, `${name}.crt`);
    const subject = `${name}.example.com`;
    const r = await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', crt, '-days', '2',
      '-subj', `/CN=${subject}`, '-addext', `subjectAltName=DNS:${subject},DNS:www.${subject}`]);
    const pem = r.code === 0 ? readFileSync(crt, 'utf8') + readFileSync(key, 'utf8') : await fallbackPem();
    await writeFile(join(dir, `${name}.pem`), pem);
    await writeFile(join(dir, 'sni', `${name}.pem`), pem);
  }
}

/** Without openssl: the product's own generator (one certificate, for every name). */
async function fallbackPem(): Promise<string> {
  const c = await testCert();
  return c.cert + c.key;
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'handoff-corpus-'));
  const certs = join(work, 'certs');
  const runDir = join(work, 'run');
  await mkdir(runDir, { recursive: true });
  // A fixed environment: nothing of the caller's may change a `.if defined(…)` or a "${VAR}".
  env = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: process.env.HOME ?? work, TMPDIR: tmpdir(),
    CORPUS_CERTS: certs, CORPUS_RUN: runDir, CORPUS_ENV: 'production' };
  await makeCertificates(certs);
  const probe = await run('haproxy', ['-v']);
  if (probe.failed !== undefined || probe.code !== 0) {
    haproxyMissing = `haproxy is not installed (${probe.failed ?? `haproxy -v exited ${probe.code}`})`;
    process.stdout.write(`# corpus: ${haproxyMissing}: the HAProxy half is skipped, the "# expect:" records stand in for it\n`);
  } else {
    process.stdout.write(`# corpus: ${probe.output.split('\n')[0]}\n`);
  }
});

after(async () => {
  process.stdout.write(summary());
  if (work !== '') await rm(work, { recursive: true, force: true });
});

function counts(verdicts: (Verdict | undefined)[]): string {
  const n = (v: Verdict | undefined) => verdicts.filter((x) => x === v).length;
  return `${n('valid')} valid, ${n('invalid')} invalid, ${n('no-listener')} no listener, ${n(undefined)} no verdict`;
}

function summary(): string {
  const differ = judged.filter((j) => j.reference !== j.handoff.verdict && j.difference === undefined);
  const recorded = judged.filter((j) => j.difference !== undefined).map((j) => `# recorded difference: ${j.file}: ${j.difference ?? ''}\n`);
  const haproxy = haproxyMissing === undefined ? counts(judged.map((j) => j.haproxy?.verdict)) : 'skipped (compared with the records)';
  const head = [`${judged.length} files`, `haproxy -c: ${haproxy}`, `handoff check: ${counts(judged.map((j) => j.handoff.verdict))}`,
    `recorded differences ${recorded.length}`, `unexplained differences ${differ.length}`].map((l) => `# corpus: ${l}\n`);
  return head.join('') + recorded.join('') + differ.map((j) => `# differs: ${describe(j).split('\n').join('\n#   ')}\n`).join('');
}

for (const file of FILES) {
  test(`corpus ${file}: handoff check and haproxy -c agree`, { timeout: 2 * PROCESS_TIMEOUT_MS + 5_000 }, async () => {
    const text = readFileSync(join(CORPUS, file), 'utf8');
    const expected = parseExpectation(text);
    const [handoff, haproxy] = await Promise.all([runHandoff(file), runHaproxy(file)]);
    const reference = haproxy === undefined ? expected.verdict : haproxy.verdict;
    const difference = parseDifference(text);
    const j: Judged = { file, handoff, haproxy, reference, ...(difference === undefined ? {} : { difference: difference.why }) };
    judged.push(j);
    if (haproxy !== undefined) {
      // The record must be true of HAProxy, or the corpus itself is wrong.
      assert.equal(haproxy.verdict, expected.verdict, `the "# expect:" record of ${file} is not what HAProxy says:\n${describe(j)}`);
      if (expected.verdict === 'valid') {
        assert.equal(/\[WARNING\]/.test(haproxy.output), expected.warnings, `the "warnings" record of ${file} is not what HAProxy says:\n${describe(j)}`);
      }
    }
    if (difference !== undefined) {
      assert.notEqual(difference.verdict, reference, `${file} records a difference that is gone (handoff now agrees with HAProxy): remove its '# handoff:' line`);
      assert.equal(handoff.verdict, difference.verdict, `handoff's verdict is not the recorded difference (${difference.why}):\n${describe(j)}`);
      if (difference.verdict !== 'invalid') return;
    } else assert.equal(handoff.verdict, reference, `verdicts differ:\n${describe(j)}`);
    if (handoff.verdict !== 'invalid') return;
    const errors = handoffErrors(file, handoff.output, text.split('\n').length);
    assert.ok(errors.length > 0, `handoff refused ${file} without a FILE:LINE error:\n${describe(j)}`);
    const acceptable = new Set([...expected.lines, ...(haproxy === undefined ? [] : haproxyLines(file, haproxy.output))]);
    if (acceptable.size === 0) return;
    assert.ok(errors.some(([n]) => acceptable.has(n)),
      `handoff blames another line (expected one of ${[...acceptable].join(', ')}):\n${describe(j)}`);
  });
}

test(`the corpus has at least 45 files, 12 of them refused by HAProxy 2.6, and runs in under ${CORPUS_BUDGET_MS / 1000} s`, () => {
  const records = FILES.map((f) => parseExpectation(readFileSync(join(CORPUS, f), 'utf8')));
  assert.ok(FILES.length >= 45, `${FILES.length} files`);
  assert.ok(records.filter((r) => r.verdict === 'invalid').length >= 12);
  assert.ok(records.filter((r) => r.warnings).length >= 3);
  for (const [i, r] of records.entries()) {
    if (r.verdict === 'invalid') assert.ok(r.lines.length > 0, `${FILES[i]}: an invalid file records the line of its fault`);
  }
  assert.ok(Date.now() - started < CORPUS_BUDGET_MS, `the corpus took ${Date.now() - started} ms`);
});
