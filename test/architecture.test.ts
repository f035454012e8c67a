// The shape of the code, held as tests: a reader can see a function of the master or a worker on
// a screen or two, and the folders of src/ import one another in one direction only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { folderCycles, functionLengths, SRC } from './helpers/structure.ts';

const LONGEST = 120;

for (const dir of ['master', 'worker', 'admin']) {
  test(`no function in src/${dir} is longer than ${LONGEST} lines`, () => {
    const long = functionLengths(path.join(SRC, dir)).filter((f) => f.lines > LONGEST);
    assert.deepEqual(long.map((f) => `${f.file}:${f.line} ${f.name} (${f.lines} lines)`), []);
  });
}

test('no circle between the folders of src/', () => {
  assert.deepEqual(folderCycles(), []);
});

test('the folder-circle finder finds a circle of three', () => {
  const graph = new Map([['b', new Set(['c'])], ['c', new Set(['a'])], ['a', new Set(['b', 'd'])]]);
  assert.deepEqual(folderCycles(graph), ['a → b → c → a']);
});
