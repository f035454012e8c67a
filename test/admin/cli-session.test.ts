// The CLI's request cutting, word splitting, usage messages and session states, without sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { opensPayload, splitArgs, takeRequest } from '../../src/admin/cli-input.ts';
import { usageMessage } from '../../src/admin/cli-usage.ts';
import { createSession } from '../../src/admin/cli-session.ts';
import { renderProcs } from '../../src/admin/commands/process.ts';
import type { Command } from '../../src/admin/command.ts';
import type { AdminTarget, MasterInfo, ProcInfo } from '../../src/admin/target.ts';

test('requests end at a newline or an unescaped semicolon; \\r is dropped; a payload line keeps its semicolons', () => {
  assert.deepEqual(takeRequest(Buffer.from('show info;show stat\n'), false), { line: 'show info', consumed: 10 });
  assert.deepEqual(takeRequest(Buffer.from('set map m a\\;b 1\nx'), false), { line: 'set map m a\\;b 1', consumed: 17 });
  assert.deepEqual(takeRequest(Buffer.from('help\r\n'), false), { line: 'help', consumed: 6 });
  assert.deepEqual(takeRequest(Buffer.from('a;b\n'), true), { line: 'a;b', consumed: 4 });
  assert.equal(takeRequest(Buffer.from('show info'), false), null);
  assert.equal(opensPayload('add map m <<'), true);
  assert.equal(opensPayload('add map m'), false);
});

test('words are split on spaces and tabs, backslashes escape and are removed, a final << is no word', () => {
  assert.deepEqual(splitArgs('  set\tmap  m a\\ b 1 '), ['set', 'map', 'm', 'a b', '1']);
  assert.deepEqual(splitArgs('x a\\;b c\\\\d'), ['x', 'a;b', 'c\\d']);
  assert.deepEqual(splitArgs('add map m <<'), ['add', 'map', 'm']);
  assert.deepEqual(splitArgs(''), []);
});

const cmd = (usage: string, help = 'h'): Command => ({ usage, help, level: 'user', run: () => '' });
const LIST = [cmd('show info [desc|json|typed|float]*'), cmd('show env [var]'), cmd('show version'), cmd('clear counters [all]'), cmd('show stat [desc|json|no-maint|typed|up]*')];

test('help lists every command in HAProxy\'s columns, sorted, then help, prompt and quit', () => {
  const out = usageMessage(LIST, ['help'], true).split('\n');
  assert.equal(out[0], 'The following commands are valid at this level:');
  assert.equal(out[1], '  clear counters [all]                    : h');
  assert.deepEqual(out.slice(-4), ['  help [<command>]                        : list matching or all commands', '  prompt                                  : toggle interactive mode with prompt', '  quit                                    : disconnect', '']);
});

test('an unknown command gets the closest commands, or all of them when nothing matches', () => {
  const near = usageMessage(LIST, ['show', 'infi'], false).split('\n');
  assert.equal(near[0], 'Unknown command, but maybe one of the following ones is a better match:');
  assert.ok(near.includes('  show info [desc|json|typed|float]*      : h'), near.join('\n'));
  assert.ok(!near.some((l) => l.startsWith('  clear')));
  const none = usageMessage(LIST, [], false).split('\n');
  assert.equal(none[0], 'Unknown command. Please enter one of the following commands only:');
  assert.equal(none.length, 1 + LIST.length + 4);
});

function fakeTarget(procs: ProcInfo[]): AdminTarget {
  const info = { pid: 1, startedAt: Date.now(), generation: 2, reloads: 1, reloadsInPlace: 0, reloadsFailed: 0, reloadsRequested: 1, workers: 1, drainingGenerations: 0, configFile: '/x.cfg', listeners: [] } satisfies MasterInfo;
  return { info: () => info, procs: () => procs, stats: () => ({ generation: 2, workers: 1, uptimeMs: 0, rows: [] }) } as unknown as AdminTarget;
}

const PROCS: ProcInfo[] = [
  { pid: 1, role: 'master', generation: 0, index: 0, state: 'running', uptimeMs: 65_000 },
  { pid: 20, role: 'worker', generation: 2, index: 0, state: 'ready', uptimeMs: 5000 },
  { pid: 10, role: 'worker', generation: 1, index: 0, state: 'draining', uptimeMs: 60_000 },
];

function session(master: boolean) {
  return createSession({ target: fakeTarget(PROCS), level: 'admin', master, sockets: () => [], setTimeout: () => {}, maxPayload: 100 });
}

test('a payload collects lines up to an empty one; in prompt mode each of its lines gets "+ "', async () => {
  const s = session(false);
  assert.deepEqual(await s.request('prompt'), { out: '\n> ', close: false });
  assert.deepEqual(await s.request('show cli level <<'), { out: '+ ', close: false });
  assert.equal(s.inPayload(), true);
  assert.deepEqual(await s.request('anything; here'), { out: '+ ', close: false });
  assert.deepEqual(await s.request(''), { out: 'admin\n\n> ', close: false });
  assert.equal(s.inPayload(), false);
  assert.deepEqual(await s.request('x'.repeat(50) + ' <<'), { out: '+ ', close: false });
  assert.equal((await s.request('y'.repeat(60))).close, true, 'a payload beyond its bound closes');
});

test('handoff-ctl turns the empty line into a status line; quit closes', async () => {
  const s = session(false);
  assert.deepEqual(await s.request('handoff-ctl'), { out: '', close: false });
  assert.deepEqual(await s.request('show cli level'), { out: 'admin\n\0ok\n', close: false });
  assert.match((await s.request('nope')).out, /\0error\n$/);
  assert.deepEqual(await s.request('quit'), { out: '', close: true });
});

test('master CLI: @N counts the current workers only, @!PID any worker, the prompt names the target', async () => {
  const s = session(true);
  assert.deepEqual(await s.request('prompt'), { out: 'master> ', close: false });
  assert.deepEqual(await s.request('@1'), { out: '20> ', close: false });
  assert.deepEqual(await s.request('@!10'), { out: '10> ', close: false });
  assert.deepEqual(await s.request('@2'), { out: "Can't find the target PID matching the prefix '@2'\n10> ", close: false });
  assert.deepEqual(await s.request('@master show cli level'), { out: 'admin\n\n10> ', close: false });
  assert.deepEqual(await s.request('@'), { out: 'master> ', close: false });
});

test('show proc: the current workers, then the old ones, in HAProxy\'s columns', () => {
  const info = fakeTarget(PROCS).info();
  const out = renderProcs(info, PROCS).split('\n');
  assert.deepEqual(out.slice(0, 6), [
    '#<PID>          <type>          <reloads>       <uptime>        <version>      ',
    `1               master          1 [failed: 0]   0d00h01m05s     ${out[1]?.slice(64)}`,
    '# workers',
    `20              worker          0               0d00h00m05s     ${out[3]?.slice(64)}`,
    '# old workers',
    `10              worker          1               0d00h01m00s     ${out[5]?.slice(64)}`,
  ]);
  assert.equal(out[6], '# programs');
});
