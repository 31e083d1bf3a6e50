// Bounded text: what messages and log lines may echo from input.
import { FieldProblems, describe as describeValue } from '../../../lambdas/core/config';
import { errorSummary } from '../../../lambdas/core/errors';
import { clip, listSome, quote } from '../../../lambdas/core/text';
import { sentence } from '../../../lambdas/adapters/job';
import { MAX_LOG_LINE_BYTES, MAX_LOG_STRING, createLogger } from '../../../lambdas/adapters/log';

describe('quote', () => {
  test('a short value is quoted whole', () => {
    expect(quote('sha256:abc')).toBe('"sha256:abc"');
  });

  test('a long value is quoted by its start, closed, with its length', () => {
    expect(quote('x'.repeat(1_000_000))).toBe(`"${'x'.repeat(64)}…" (1000000 characters)`);
  });
});

describe('clip', () => {
  test('text that fits is unchanged', () => {
    expect(clip('swap failed', 20)).toBe('swap failed');
  });

  test('text that does not fit is cut at a word and says how much is left out, within the limit', () => {
    const text = `${'word '.repeat(2000)}end`;
    const clipped = clip(text, 5000);
    expect(clipped.length).toBeLessThanOrEqual(5000);
    expect(clipped).toMatch(/word … \(\d+ more characters\)$/);
    expect(Number(/\((\d+) more/.exec(clipped)![1]) + clipped.indexOf(' …')).toBe(text.length);
  });
});

test('listSome names the first few and counts the rest', () => {
  expect(listSome(['a', 'b'], 3)).toBe('a, b');
  expect(listSome(['a', 'b', 'c', 'd'], 2, '; ')).toBe('a; b; and 2 more');
});

describe('what messages echo', () => {
  test('describe quotes strings by their start and length', () => {
    expect(describeValue('b'.repeat(100))).toBe(`"${'b'.repeat(64)}…" (100 characters)`);
  });

  test('a field that does not match its pattern is quoted, bounded', () => {
    const p = new FieldProblems({ digest: 'q'.repeat(1_000_000) });
    p.string('digest', /^sha256:[0-9a-f]{64}$/, 'a sha256 digest');
    expect(() => p.throwIfAny('The token')).toThrow(/^The token is invalid: digest must be a sha256 digest \(got "q{64}…" \(1000000 characters\)\)\.$/);
  });

  test('thousands of problems name the first ten and count the rest', () => {
    const p = new FieldProblems({});
    for (let i = 0; i < 5000; i++) p.add(`problem ${i}`);
    expect(() => p.throwIfAny('The document')).toThrow(/^The document is invalid: problem 0; problem 1; .*problem 9; and 4990 more\.$/);
  });

  test('an error summary is bounded', () => {
    expect(errorSummary(new Error('e'.repeat(100_000))).length).toBeLessThanOrEqual(3000);
  });

  test('a sentence is bounded to the CodePipeline failure message limit and stays one sentence', () => {
    const s = sentence(`the deploy failed: ${'value '.repeat(10_000)}`);
    expect(s.length).toBeLessThanOrEqual(5000);
    expect(s).toMatch(/^The deploy failed: value .* more characters\)\.$/);
  });
});

describe('log lines', () => {
  const capture = () => {
    const lines: string[] = [];
    return { lines, log: createLogger({ operation: 'swap', jobId: 'j', executionId: 'e' }, (l) => void lines.push(l)) };
  };

  test('a long string field is clipped and counted', () => {
    const { lines, log } = capture();
    log.warn('refused', { reason: 'r'.repeat(1_000_000) });
    const line = JSON.parse(lines[0]);
    expect(line.reason.length).toBeLessThanOrEqual(MAX_LOG_STRING);
    expect(line.reason).toMatch(/ … \(\d+ more characters\)$/);
    expect(line).toMatchObject({ level: 'warn', message: 'refused', operation: 'swap', jobId: 'j', executionId: 'e' });
  });

  test('a line that would still be too long keeps its context, level and message and names what it left out', () => {
    const { lines, log } = capture();
    log.info('many fields', Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`f${i}`, 'v'.repeat(1000)])));
    expect(Buffer.byteLength(lines[0])).toBeLessThanOrEqual(MAX_LOG_LINE_BYTES);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'info', message: 'many fields', operation: 'swap', note: expect.stringMatching(/extra fields left out/), fieldsLeftOut: expect.arrayContaining(['f0']) });
  });

  test('a long list is shortened', () => {
    const { lines, log } = capture();
    log.info('alarms', { names: Array.from({ length: 500 }, (_, i) => `alarm-${i}`) });
    const names = JSON.parse(lines[0]).names as string[];
    expect(names).toHaveLength(51);
    expect(names[50]).toBe('… (450 more items)');
  });
});

describe('asClause', () => {
  test('a service text ending a sentence becomes a clause, so the failure that quotes it stays one sentence', () => {
    const { asClause } = require('../../../lambdas/core/text') as typeof import('../../../lambdas/core/text');
    expect(asClause('ECS deployment circuit breaker: tasks failed to start.')).toBe('ECS deployment circuit breaker: tasks failed to start');
    expect(asClause('  nothing to trim ')).toBe('nothing to trim');
    expect(asClause('Stop!!')).toBe('Stop');
  });
});
