import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenizeLine } from '../../src/config/tokenize.ts';
import { parseSize, parseTime } from '../../src/config/units.ts';

function words(line: string, env: Record<string, string> = {}): string[] {
  const r = tokenizeLine(line, env);
  assert.ok(r.ok, `tokenize failed: ${r.ok ? '' : r.error}`);
  return r.words;
}

test('whitespace (spaces and tabs) separates words and is collapsed', () => {
  assert.deepEqual(words('  \tbind \t *:80   ssl  '), ['bind', '*:80', 'ssl']);
});

test('empty and comment-only lines have no words', () => {
  assert.deepEqual(words(''), []);
  assert.deepEqual(words('   # a comment'), []);
});

test('# starts a comment outside quotes, even right after a word', () => {
  assert.deepEqual(words('maxconn 10 # limit'), ['maxconn', '10']);
  assert.deepEqual(words('maxconn 10#limit'), ['maxconn', '10']);
});

test('# is literal inside quotes and when escaped', () => {
  assert.deepEqual(words('x "a # b" \'c # d\' e\\#f'), ['x', 'a # b', 'c # d', 'e#f']);
});

test('an escaped space joins two words, as in reqadd X-Forwarded-Proto:\\ https', () => {
  assert.deepEqual(words('reqadd X-Forwarded-Proto:\\ https'), ['reqadd', 'X-Forwarded-Proto: https']);
});

test('backslash escapes: \\" \\\\ \\t and unknown escapes kept for regexes', () => {
  assert.deepEqual(words('a\\"b c\\\\d e\\tf g\\.h'), ['a"b', 'c\\d', 'e\tf', 'g\\.h']);
});

test('double quotes keep spaces and process escapes; single quotes are fully literal', () => {
  assert.deepEqual(words('x "a b\\"c" \'d\\ e\''), ['x', 'a b"c', 'd\\ e']);
});

test('quotes may appear in the middle of a word and an empty pair is an empty word', () => {
  assert.deepEqual(words('foo"bar baz"qux ""'), ['foobar bazqux', '']);
});

test('${VAR} and $VAR expand inside double quotes only', () => {
  assert.deepEqual(words('bind "${ADDR}:$PORT" \'${ADDR}\' ${ADDR}', { ADDR: '127.0.0.1', PORT: '80' }), [
    'bind',
    '127.0.0.1:80',
    '${ADDR}',
    '${ADDR}',
  ]);
});

test('an unterminated quote is an error', () => {
  const r = tokenizeLine('stats realm "Haproxy Statistics');
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.error, /unmatched double quote/);
});

test('time values: bare numbers are milliseconds, units us ms s m h d', () => {
  const cases: [string, number][] = [['5000', 5000], ['250ms', 250], ['5s', 5000], ['2m', 120_000], ['1h', 3_600_000], ['1d', 86_400_000], ['1000us', 1]];
  for (const [text, ms] of cases) assert.deepEqual(parseTime(text), { ok: true, value: ms }, text);
});

test('time values with an unknown unit or no number are errors naming the text', () => {
  const bad = parseTime('10x');
  assert.equal(bad.ok, false);
  assert.match(bad.ok ? '' : bad.error, /'10x'.*unknown unit 'x'/);
  assert.equal(parseTime('s').ok, false);
  assert.equal(parseTime('1.5s').ok, false);
});

test('sizes accept k, m and g suffixes', () => {
  assert.deepEqual(parseSize('16k'), { ok: true, value: 16384 });
  assert.deepEqual(parseSize('1m'), { ok: true, value: 1048576 });
  assert.equal(parseSize('1t').ok, false);
});
