// The reload's phases (src/master/reload.ts) with the real supervisor and listener registry, and
// fake workers: objects that answer the master's messages as a worker would, or fail as told.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { LoadResult } from '../../src/config/model.ts';
import type { MasterToWorker } from '../../src/ipc/messages.ts';
import { createListenerRegistry } from '../../src/master/listeners.ts';
import { createSupervisor } from '../../src/master/supervisor.ts';
import { createReloader, type Reloader } from '../../src/master/reload.ts';
import type { Supervisor } from '../../src/master/supervisor.ts';
import type { WorkerProcess, WorkerSpawnOptions } from '../../src/master/worker-process.ts';
import { compile, HTTP_DEFAULTS } from '../config/compile.ts';
import { freePort, until } from '../helpers/proxy.ts';

/** The counts without the last reload's duration, which varies; it is there after a reload. */
function withoutDuration(c: ReturnType<Reloader['counts']>): Omit<typeof c, 'lastTookMs'> {
  const { lastTookMs, ...rest } = c;
  assert.ok(lastTookMs !== undefined && lastTookMs >= 0);
  return rest;
}

/** What a fake worker does with `init` (a new process) or `reconfigure` (in place). */
type Answer = 'ready' | 'silent' | 'refuse' | 'exit';

interface Fakes {
  onInit: Answer;
  onReconfigure: Answer;
  spawned: FakeWorker[];
}

interface FakeWorker extends WorkerProcess {
  received: MasterToWorker['type'][];
}

function fakeSpawn(fakes: Fakes, nextPid: { n: number }) {
  return (o: WorkerSpawnOptions): WorkerProcess => {
    let resolveExit!: (v: { code: number | null; signal: NodeJS.Signals | null }) => void;
    const exit = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (w.state === 'exited') return;
      w.state = 'exited';
      resolveExit({ code, signal });
      o.onExit(w, code, signal);
    };
    const answer = (how: Answer, generation: number, refusal: 'startup-error' | 'reconfigure-error'): void => {
      setImmediate(() => {
        if (w.state === 'exited') return;
        if (how === 'ready') o.onMessage(w, { type: 'ready', generation, index: o.index, pid: w.pid });
        else if (how === 'exit') exit(1, null);
        else if (how === 'refuse') {
          const message = `cannot build generation ${generation}`;
          o.onMessage(w, refusal === 'startup-error' ? { type: 'startup-error', message } : { type: 'reconfigure-error', generation, message });
        }
      });
    };
    const w: FakeWorker = {
      generation: o.generation,
      index: o.index,
      pid: nextPid.n++,
      startedAt: Date.now(),
      state: 'starting',
      readyGeneration: 0,
      activeGeneration: 0,
      leaving: false,
      exited: new Promise((r) => (resolveExit = r)),
      received: ['init'],
      send(msg) {
        w.received.push(msg.type);
        if (msg.type === 'reconfigure') answer(fakes.onReconfigure, msg.generation, 'reconfigure-error');
        else if (msg.type === 'activate') setImmediate(() => o.onMessage(w, { type: 'activated', generation: msg.generation }));
        else if (msg.type === 'drain') setImmediate(() => exit(0, null));
      },
      sendListener() {},
      kill(signal = 'SIGKILL') {
        setImmediate(() => exit(null, signal));
      },
    };
    fakes.spawned.push(w);
    answer(fakes.onInit, o.generation, 'startup-error');
    return w;
  };
}

const GOOD = `${HTTP_DEFAULTS}frontend f\n    bind 127.0.0.1:${await freePort()}\n    default_backend b\nbackend b\n    server s 127.0.0.1:1\n`;

function loadOf(text: string): LoadResult {
  const r = compile(text);
  return r.diagnostics.some((d) => d.severity === 'error') ? { diagnostics: r.diagnostics } : { config: r.config, diagnostics: r.diagnostics };
}

interface Rig {
  reloader: Reloader;
  supervisor: Supervisor;
  fakes: Fakes;
  logged: string[];
  setConfig(text: string): void;
  /** Hold the next load until `release()` is called. */
  holdLoads(): () => void;
}

function rig(): Rig {
  const fakes: Fakes = { onInit: 'ready', onReconfigure: 'ready', spawned: [] };
  const logged: string[] = [];
  const log = { notice: (m: string) => logged.push(`notice ${m}`), warning: (m: string) => logged.push(`warning ${m}`), alert: (m: string) => logged.push(`alert ${m}`) };
  const listeners = createListenerRegistry();
  let text = GOOD;
  let gate: Promise<void> | undefined;
  const supervisor = createSupervisor({
    listeners, log, ticketKeys: '', serverStates: () => ({}), hardStopAfter: () => 0, maxOldCohorts: 2,
    onReport() {}, onGone() {}, spawn: fakeSpawn(fakes, { n: 1000 }), spare: false,
  });
  const reloader = createReloader({
    load: async () => {
      const snapshot = text;
      if (gate !== undefined) await gate;
      return loadOf(snapshot);
    },
    listeners, supervisor, log, readyTimeoutMs: 300, maxOldGenerations: 2, workerCount: () => 2, hardStopAfter: () => 0,
    serverStates: () => ({}), onActivated() {},
  });
  return {
    reloader, supervisor, fakes, logged,
    setConfig: (t) => (text = t),
    holdLoads() {
      let open!: () => void;
      gate = new Promise((r) => (open = r));
      return () => {
        gate = undefined;
        open();
      };
    },
  };
}

async function started(): Promise<Rig> {
  const r = rig();
  const outcome = await r.reloader.request();
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.message);
  assert.equal(outcome.mode, 'start');
  return r;
}

const stop = (r: Rig): Promise<void> => r.supervisor.stopNow();

test('reload: first start forks a cohort, a second reload goes in place and activates in every worker', async () => {
  const r = await started();
  try {
    const outcome = await r.reloader.request();
    assert.ok(outcome.ok);
    assert.equal(outcome.mode, 'in-place');
    assert.equal(outcome.generation, 2);
    assert.equal(r.fakes.spawned.length, 2);
    for (const w of r.fakes.spawned) assert.deepEqual(w.received, ['init', 'reconfigure', 'activate']);
    assert.equal(r.supervisor.current()?.generation, 2);
    assert.deepEqual(withoutDuration(r.reloader.counts()), { completed: 1, inPlace: 1, failed: 0, failedInPlace: 0, failedNewProcesses: 0, requested: 1 });
  } finally {
    await stop(r);
  }
});

test('reload: a full reload forks a new cohort, and the previous one drains only once it is ready', async () => {
  const r = await started();
  try {
    const outcome = await r.reloader.request(true);
    assert.ok(outcome.ok);
    assert.equal(outcome.mode, 'new-processes');
    const [a, b, c, d] = r.fakes.spawned;
    assert.deepEqual([a?.received, b?.received], [['init', 'drain'], ['init', 'drain']]);
    assert.deepEqual([c?.received, d?.received], [['init'], ['init']]);
    await Promise.all([a?.exited, b?.exited]);
    assert.ok(r.logged.some((l) => /generation 1 finished draining/.test(l)));
  } finally {
    await stop(r);
  }
});

test('reload: a configuration with errors is refused before anything is forked or sent', async () => {
  const r = await started();
  try {
    r.setConfig(`${GOOD}backend b\n    balanse roundrobin\n    server s 127.0.0.1:1 weight x\n`);
    const outcome = await r.reloader.request();
    assert.equal(outcome.ok, false);
    assert.match(outcome.ok ? '' : outcome.message, /^configuration has errors, keeping generation 1:\nconfig : parsing \[t\.cfg:\d+\] : /);
    assert.equal(r.fakes.spawned.length, 2);
    for (const w of r.fakes.spawned) assert.deepEqual(w.received, ['init']);
    assert.ok(r.logged.some((l) => l.startsWith('alert reload failed: configuration has errors')));
    assert.equal(r.reloader.counts().failed, 1);
    // Refused before a path was chosen: counted on neither.
    assert.equal(r.reloader.counts().failedInPlace + r.reloader.counts().failedNewProcesses, 0);
  } finally {
    await stop(r);
  }
});

test('reload: a bind error is refused with FILE:LINE, nothing is forked and the serving generation stays', async () => {
  const r = await started();
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as net.AddressInfo).port;
  try {
    r.setConfig(GOOD.replace('default_backend b', `bind 127.0.0.1:${port}\n    default_backend b`));
    const outcome = await r.reloader.request(true);
    assert.equal(outcome.ok, false);
    assert.match(outcome.ok ? '' : outcome.message, new RegExp(`^t\\.cfg:\\d+: error: cannot bind 127\\.0\\.0\\.1:${port}: EADDRINUSE`));
    assert.equal(r.fakes.spawned.length, 2);
    assert.equal(r.supervisor.current()?.generation, 1);
  } finally {
    taken.close();
    await stop(r);
  }
});

test('reload: a new worker that never says ready fails the reload after the timeout; its cohort is killed', async () => {
  const r = await started();
  try {
    r.fakes.onInit = 'silent';
    const outcome = await r.reloader.request(true);
    assert.equal(outcome.ok, false);
    assert.match(outcome.ok ? '' : outcome.message, /^new generation failed to start, keeping generation 1: generation 2 not ready after 300 ms \(workers \d+, \d+ did not report ready\)/);
    const [a, b, c, d] = r.fakes.spawned;
    await Promise.all([c?.exited, d?.exited]);
    assert.deepEqual([a?.received, b?.received], [['init'], ['init']]);
    assert.equal(r.supervisor.current()?.generation, 1);
    // The next reload goes in place again: the serving cohort was not touched.
    r.fakes.onInit = 'ready';
    const next = await r.reloader.request();
    assert.ok(next.ok && next.mode === 'in-place' && next.generation === 3);
  } finally {
    await stop(r);
  }
});

test('reload: a worker silent while preparing in place fails the reload, and the prepared generation is discarded', async () => {
  const r = await started();
  try {
    r.fakes.onReconfigure = 'silent';
    const outcome = await r.reloader.request();
    assert.equal(outcome.ok, false);
    assert.match(outcome.ok ? '' : outcome.message, /generation 2 not ready after 300 ms/);
    for (const w of r.fakes.spawned) assert.deepEqual(w.received, ['init', 'reconfigure', 'discard']);
    assert.equal(r.supervisor.current()?.generation, 1);
  } finally {
    await stop(r);
  }
});

test('reload: a worker that refuses the new generation in place fails the reload with its message', async () => {
  const r = await started();
  try {
    r.fakes.onReconfigure = 'refuse';
    const outcome = await r.reloader.request();
    assert.equal(outcome.ok, false);
    assert.equal(outcome.ok ? '' : outcome.message, 'new generation failed to start, keeping generation 1: cannot build generation 2');
    assert.ok(r.logged.some((l) => /alert worker g1#\d \(pid \d+\) cannot prepare generation 2: cannot build generation 2/.test(l)));
    // Counted as an in-place failure (handoff_reloads_total{path="in_place",result="failed"}).
    assert.deepEqual([r.reloader.counts().failedInPlace, r.reloader.counts().failedNewProcesses], [1, 0]);
  } finally {
    await stop(r);
  }
});

test('reload: a worker that exits while preparing in place fails the reload, and is replaced', async () => {
  const r = await started();
  try {
    r.fakes.onReconfigure = 'exit';
    const outcome = await r.reloader.request();
    assert.equal(outcome.ok, false);
    assert.match(outcome.ok ? '' : outcome.message, /^new generation failed to start, keeping generation 1: worker g1#\d \(pid \d+\) exited while preparing generation 2 \(exit code 1\)$/);
    // Both workers exit (each was told to reconfigure); both are replaced in generation 1.
    await until('both workers replaced', () => r.fakes.spawned.length === 4, 2000);
    assert.ok(r.logged.some((l) => /alert worker g1#\d \(pid \d+\) exited unexpectedly \(exit code 1\); replacing it/.test(l)));
    assert.equal(r.supervisor.current()?.workers.filter((w) => w.state !== 'exited').length, 2);
  } finally {
    await stop(r);
  }
});

test('reload: a worker that exits during startup fails the first start with its exit status', async () => {
  const r = rig();
  r.fakes.onInit = 'exit';
  try {
    const outcome = await r.reloader.request();
    assert.equal(outcome.ok, false);
    assert.match(outcome.ok ? '' : outcome.message, /^new generation failed to start, keeping generation -: worker g1#\d \(pid \d+\) exited during startup \(exit code 1\)$/);
    assert.equal(r.supervisor.current(), undefined);
  } finally {
    await stop(r);
  }
});

test('reload: a worker that refuses its configuration at startup fails the reload with its message', async () => {
  const r = await started();
  try {
    r.fakes.onInit = 'refuse';
    const outcome = await r.reloader.request(true);
    assert.equal(outcome.ok, false);
    assert.equal(outcome.ok ? '' : outcome.message, 'new generation failed to start, keeping generation 1: cannot build generation 2');
    assert.deepEqual([r.reloader.counts().failedInPlace, r.reloader.counts().failedNewProcesses], [0, 1]);
  } finally {
    await stop(r);
  }
});

test('reload: requests made while one runs coalesce into one more reload, which reads the latest configuration', async () => {
  const r = await started();
  try {
    const release = r.holdLoads();
    const first = r.reloader.request();
    const second = r.reloader.request();
    r.setConfig(GOOD.replace('server s 127.0.0.1:1', 'server s 127.0.0.1:2'));
    const third = r.reloader.request(true);
    release();
    const [a, b, c] = await Promise.all([first, second, third]);
    assert.ok(a.ok && b.ok && c.ok);
    assert.equal(a.generation, 2);
    assert.equal(a.mode, 'in-place');
    // The second and third share one reload, full because one of them asked for it.
    assert.deepEqual(b, c);
    assert.equal(b.generation, 3);
    assert.equal(b.mode, 'new-processes');
    assert.equal(r.supervisor.current()?.config.backends[0]?.servers[0]?.port, 2);
    assert.deepEqual(withoutDuration(r.reloader.counts()), { completed: 2, inPlace: 1, failed: 0, failedInPlace: 0, failedNewProcesses: 0, requested: 3 });
  } finally {
    await stop(r);
  }
});
