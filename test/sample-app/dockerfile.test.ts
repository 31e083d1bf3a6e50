import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const dockerfile = readFileSync(join(__dirname, '..', '..', 'sample-app', 'Dockerfile'), 'utf8');
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

describe('sample app Dockerfile', () => {
  test('it is multi-stage and every base image is pinned by digest', () => {
    const froms = instructions.filter((l) => /^FROM /i.test(l));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from).toMatch(/^FROM node:20\.\d+\.\d+-alpine@sha256:[0-9a-f]{64}( AS \w+)?$/);
  });

  test('the final stage runs as a non-root user and copies only from the build stage', () => {
    const finalStage = instructions.slice(instructions.map((l) => /^FROM /i.test(l)).lastIndexOf(true));
    const users = finalStage.filter((l) => /^USER /i.test(l));
    expect(users).toEqual(['USER node']);
    expect(finalStage.filter((l) => /^COPY /i.test(l)).every((l) => l.includes('--from=build'))).toBe(true);
    expect(finalStage[finalStage.length - 1]).toBe('CMD ["node", "server.js"]');
  });

  test('it takes the commit as a build argument and checks its own health', () => {
    expect(instructions).toContain('ARG COMMIT=unknown');
    expect(instructions.some((l) => l.startsWith('HEALTHCHECK') && l.includes('/health'))).toBe(true);
  });
});
