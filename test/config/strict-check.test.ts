// `handoff check` is as strict as `haproxy -c`: conditional blocks, environment variables,
// TLS contexts built as `run` builds them, misspellings refused even with -q, zero-warning.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluateCondition } from '../../src/config/conditional.ts';
import { parseConfig } from '../../src/config/parse.ts';
import { tokenizeLine } from '../../src/config/tokenize.ts';
import { editDistance, suggest } from '../../src/config/suggest.ts';
import { testCert } from '../helpers/tls.ts';

const BIN = fileURLToPath(new URL('../../bin/handoff.js', import.meta.url));
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'handoff-strict-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function check(text: string, args: string[] = [], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.cfg`);
  await writeFile(file, text);
  const r = spawnSync(process.execPath, [BIN, 'check', '-f', file, ...args], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.replaceAll(`${file}:`, 'F:') };
}

const TAIL = `defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend fe
    bind 127.0.0.1:18080
    default_backend be
backend be
    server s1 127.0.0.1:18081
`;

test('edit distance counts a transposition as one edit; suggestions stay close', () => {
  assert.equal(editDistance('chekc', 'check'), 1);
  assert.equal(editDistance('defualt_backend', 'default_backend'), 1);
  assert.equal(editDistance('conect', 'connect'), 1);
  assert.equal(suggest('balanse', ['bind', 'balance', 'backlog']), 'balance');
  assert.equal(suggest('xyzzy', ['bind', 'balance']), undefined);
});

test('conditions: numbers, empty string, predicates, !, && over ||, parentheses', () => {
  const env = { A: '1', WITH_SSL: 'yes' };
  const v = (text: string) => {
    const tok = tokenizeLine(text, env);
    assert.ok(tok.ok);
    return evaluateCondition(tok.words, env);
  };
  assert.deepEqual(v('0'), { ok: true, value: false });
  assert.deepEqual(v('1'), { ok: true, value: true });
  assert.deepEqual(v('""'), { ok: true, value: false });
  assert.deepEqual(v('"${A}"'), { ok: true, value: true });
  assert.deepEqual(v('defined(A)'), { ok: true, value: true });
  assert.deepEqual(v('defined(B)'), { ok: true, value: false });
  assert.deepEqual(v('streq("$WITH_SSL",yes)'), { ok: true, value: true });
  assert.deepEqual(v('strneq("$WITH_SSL",yes)'), { ok: true, value: false });
  assert.deepEqual(v('feature(OPENSSL) && !feature(LUA)'), { ok: true, value: true });
  assert.deepEqual(v('0 && 1 || 1'), { ok: true, value: true });
  assert.deepEqual(v('0 && (1 || 1)'), { ok: true, value: false });
  assert.deepEqual(v('version_atleast(2.4-dev19) && version_before(2.7)'), { ok: true, value: true });
  assert.deepEqual(v('version_atleast(2.8)'), { ok: true, value: false });
  const bad = v('frobnicate(1)');
  assert.equal(bad.ok, false);
  assert.match(bad.ok ? '' : bad.error, /unknown predicate 'frobnicate'/);
});

test('.if/.elif/.else/.endif select lines; messages and unbalanced blocks are reported at their lines', () => {
  const text = `global
.if defined(NOPE)
    nbthread 7
.elif streq("\${MODE}",prod)
    nbthread 2
    .if 0
       garbage that is never read
    .endif
.else
    nbthread 3
.endif
.warning "careful"
.alert "stop"
.endif
.else
`;
  const p = parseConfig(text, 'f.cfg', { MODE: 'prod' });
  assert.deepEqual(p.sections[0]?.lines.map((l) => l.words.join(' ')), ['nbthread 2']);
  assert.deepEqual(p.diagnostics.map((d) => `${d.line} ${d.severity} ${d.message}`), [
    '12 warning careful',
    '13 error stop',
    "14 error '.endif' without a matching '.if'",
    "15 error '.else' without a matching '.if'",
  ]);
  const open = parseConfig('global\n.if 1\n    maxconn 10\n', 'g.cfg', {});
  assert.deepEqual(open.diagnostics.map((d) => `${d.line} ${d.message}`), ["2 '.if' block is never closed: missing '.endif' before the end of the file"]);
});

test('"${VAR-default}" and setenv/presetenv/unsetenv change what later lines read', () => {
  const p = parseConfig(
    `global\n    setenv PORT 81\n    presetenv PORT 99\n    presetenv HOST h\n    unsetenv GONE\nfrontend f\n    bind "\${HOST}:\${PORT}" "\${GONE-x}" "\${UNSET-d}" "\${EMPTY-e}"\n`,
    'f.cfg',
    { GONE: 'g', EMPTY: '' },
  );
  assert.deepEqual(p.sections[1]?.lines[0]?.words, ['bind', 'h:81', 'x', 'd', '']);
});

test('check refuses misspellings with HAProxy-style suggestions, even with -q (what the service unit runs)', async () => {
  const text = `global\n    daemon\ndefaults\n    mode http\n    optoin httplog\n    timeout conect 5s\n    timeout client 1s\n    timeout server 1s\nfrontend fe\n    bind 127.0.0.1:18080\n    defualt_backend be\nbackend be\n    balanse leastconn\n    server s1 127.0.0.1:18081 chekc\n`;
  const r = await check(text, ['-q']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.deepEqual(r.stderr.trim().split('\n'), [
    "F:5: error: unknown keyword 'optoin' in 'defaults' section; did you mean 'option' maybe ?",
    "F:6: error: 'timeout' supports 'check', 'client', 'client-fin', 'connect', 'http-keep-alive', 'http-request', 'queue', 'server', 'server-fin', 'tarpit', 'tunnel' (got 'conect'); did you mean 'connect' maybe ?",
    "F:11: error: unknown keyword 'defualt_backend' in 'frontend' section; did you mean 'default_backend' maybe ?",
    "F:13: error: unknown keyword 'balanse' in 'backend' section; did you mean 'balance' maybe ?",
    "F:14: error: unknown server option 'chekc'; did you mean 'check' maybe ?",
  ]);
});

test('check builds the TLS contexts run would: a bad cipher string or curve is an error at the bind line', async () => {
  const { cert, key } = await testCert();
  const pem = join(dir, 'site.pem');
  await writeFile(pem, `${cert}\n${key}`);
  const good = await check(`global\n    ssl-default-bind-curves X25519:P-256\n${TAIL}frontend tls\n    bind 127.0.0.1:18443 ssl crt "\${CERTS}/site.pem"\n    default_backend be\n`, [], { CERTS: dir });
  assert.equal(good.code, 0, good.stderr);
  const badCipher = await check(`global\n    ssl-default-bind-ciphers NOT-A-CIPHER\n${TAIL}frontend tls\n    bind 127.0.0.1:18443 ssl crt ${pem}\n    default_backend be\n`);
  assert.equal(badCipher.code, 1);
  assert.match(badCipher.stderr, /F:14: error: frontend 'tls' bind 127\.0\.0\.1:18443 .*invalid cipher settings \(ciphers 'NOT-A-CIPHER'\)/);
  const badCurve = await check(`${TAIL}frontend tls\n    bind 127.0.0.1:18443 ssl crt ${pem} curves NOPE-CURVE\n    default_backend be\n`);
  assert.equal(badCurve.code, 1);
  assert.match(badCurve.stderr, /F:12: error: .*curves 'NOPE-CURVE'/);
});

test('zero-warning makes any warning fatal; .if around it is honoured', async () => {
  const warned = `global\n    zero-warning\n    daemon\n${TAIL}`;
  const r = await check(warned);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /'zero-warning' is set in the global section: the warnings above are fatal/);
  const skipped = await check(`global\n.if defined(STRICT)\n    zero-warning\n.endif\n    daemon\n${TAIL}`);
  assert.equal(skipped.code, 0, skipped.stderr);
});
