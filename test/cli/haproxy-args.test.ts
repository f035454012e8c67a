import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HaproxyArgsError, parseHaproxyArgs } from '../../src/cli/haproxy-args.ts';

const err = (argv: string[], re: RegExp) => assert.throws(() => parseHaproxyArgs(argv), (e: unknown) => e instanceof HaproxyArgsError && re.test(e.message));

test('the seed unit\'s ExecStartPre (-f CFG -c -q) maps to check -q', () => {
  assert.deepEqual(parseHaproxyArgs(['-f', '/etc/haproxy/haproxy.cfg', '-c', '-q']), { mode: 'check', argv: ['-f', '/etc/haproxy/haproxy.cfg', '-q'], notes: [] });
});

test('ExecReload\'s check with -x SOCK accepts the socket and ignores it', () => {
  assert.deepEqual(parseHaproxyArgs(['-f', 'a.cfg', '-c', '-q', '-x', '/run/haproxy/admin.sock']), { mode: 'check', argv: ['-f', 'a.cfg', '-q'], notes: [] });
});

test('ExecStart (-Ws -f CFG -p PIDFILE) maps to run in the foreground', () => {
  assert.deepEqual(parseHaproxyArgs(['-Ws', '-f', 'a.cfg', '-p', '/run/haproxy.pid']), { mode: 'run', argv: ['-f', 'a.cfg', '-p', '/run/haproxy.pid'], daemon: false, notes: [] });
  assert.equal((parseHaproxyArgs(['-W', '-f', 'a.cfg']) as { daemon: boolean }).daemon, false);
});

test('several -f and files after -- are read in order', () => {
  const inv = parseHaproxyArgs(['-f', 'a.cfg', '-f', 'conf.d', '-c', '--', 'z.cfg', 'y.cfg']);
  assert.deepEqual(inv.mode === 'check' && inv.argv, ['-f', 'a.cfg', '-f', 'conf.d', '-f', 'z.cfg', '-f', 'y.cfg']);
});

test('-D detaches; -db or -d keep it in the foreground', () => {
  assert.equal((parseHaproxyArgs(['-D', '-f', 'a.cfg']) as { daemon: boolean }).daemon, true);
  assert.equal((parseHaproxyArgs(['-D', '-db', '-f', 'a.cfg']) as { daemon: boolean }).daemon, false);
  assert.equal((parseHaproxyArgs(['-d', '-D', '-f', 'a.cfg']) as { daemon: boolean }).daemon, false);
});

test('-d and -V override -q; -q alone is passed on', () => {
  assert.deepEqual(parseHaproxyArgs(['-f', 'a.cfg', '-q', '-d']), { mode: 'run', argv: ['-f', 'a.cfg'], daemon: false, notes: [] });
  assert.deepEqual(parseHaproxyArgs(['-f', 'a.cfg', '-q']), { mode: 'run', argv: ['-f', 'a.cfg', '-q'], daemon: false, notes: [] });
});

test('-S, -n, -N, -C, -sf map onto run\'s options', () => {
  assert.deepEqual(parseHaproxyArgs(['-f', 'a.cfg', '-S', 'unix@/run/m.sock', '-n', '5000', '-N', '100', '-C', '/etc/haproxy', '-sf', '12', '34']), {
    mode: 'run',
    argv: ['-f', 'a.cfg', '-S', '/run/m.sock', '--maxconn', '5000', '--default-maxconn', '100', '-sf', '12', '34'],
    chdir: '/etc/haproxy',
    daemon: false,
    notes: [],
  });
  assert.deepEqual((parseHaproxyArgs(['-f', 'a.cfg', '-st', '7']) as { argv: string[] }).argv, ['-f', 'a.cfg', '-st', '7']);
});

test('-sf with no pid (an empty $(cat pidfile)) is not an error, as in HAProxy', () => {
  assert.deepEqual((parseHaproxyArgs(['-f', 'a.cfg', '-sf']) as { argv: string[] }).argv, ['-f', 'a.cfg']);
});

test('-L is accepted with a note that it has no effect', () => {
  const inv = parseHaproxyArgs(['-f', 'a.cfg', '-L', 'lb1']);
  assert.equal(inv.mode === 'run' && inv.notes.length, 1);
});

test('-v and -vv ask for the versions, whatever follows', () => {
  assert.deepEqual(parseHaproxyArgs(['-v']), { mode: 'version', verbose: false });
  assert.deepEqual(parseHaproxyArgs(['-vv', '-Z']), { mode: 'version', verbose: true });
});

test('unknown options and stray arguments are errors naming them', () => {
  err(['-Z', '-f', 'a.cfg'], /unknown option '-Z'/);
  err(['-f', 'a.cfg', '-dW'], /unknown option '-dW'/);
  err(['-f', 'a.cfg', '--config'], /unknown option '--config'/);
  err(['a.cfg'], /unexpected argument 'a.cfg'/);
});

test('an option without its value is an error naming the option and what it expects', () => {
  err(['-f'], /option '-f' expects a configuration file/);
  err(['-f', 'a.cfg', '-p'], /option '-p' expects a pid file/);
  err(['-f', 'a.cfg', '-x'], /option '-x' expects a unix socket/);
  err(['-f', 'a.cfg', '-n', 'lots'], /option '-n' expects a positive integer, got 'lots'/);
  err(['-c', '-q'], /no configuration file/);
});

test('-m is refused with the reason and the alternative, never ignored', () => {
  err(['-f', 'a.cfg', '-m', '512'], /'-m' is not supported.*MemoryMax=/);
});

test('-S with bind options or a non-unix address is refused', () => {
  err(['-f', 'a.cfg', '-S', '/run/m.sock,mode,600'], /bind options/);
  err(['-f', 'a.cfg', '-S', 'ipv4@127.0.0.1:9999'], /only a unix socket path/);
});

test('-n and -N (run --maxconn / --default-maxconn) reach the loaded configuration', async () => {
  const { loadConfig } = await import('../../src/config/load.ts');
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-nN-'));
  try {
    const cfg = path.join(dir, 'a.cfg');
    fs.writeFileSync(cfg, 'global\n    maxconn 100\nfrontend a\n    bind 127.0.0.1:1\n    maxconn 5\nfrontend b\n    bind 127.0.0.1:2\n');
    const r = await loadConfig(cfg, { maxconnOverride: 1234, defaultProxyMaxconn: 77 });
    assert.equal(r.config?.global.maxconn, 1234);
    assert.deepEqual(r.config?.frontends.map((f) => f.maxconn), [5, 77]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
