// The README is the front door: what it shows must be what the code does.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildSampleApp } from '../sample-app/cdk/sample-stack';
import { summarize } from '../sample-app/cdk/summary';
import { README_PATH, codeBlocks, pipelinePrograms, relativeLinks } from './support/readme';

const README = readFileSync(README_PATH, 'utf8');
const ROOT = join(__dirname, '..');

describe('the README', () => {
  test('shows exactly what `npm run synth` prints', () => {
    const saved = process.env.CDK_DEFAULT_ACCOUNT;
    delete process.env.CDK_DEFAULT_ACCOUNT;
    try {
      const app = new App();
      buildSampleApp(app);
      const printed = summarize(app.synth(), 'sample-app/cdk.out').join('\n');
      const shown = codeBlocks(README).find((b) => b.code.startsWith('Synthesized '));
      expect(shown?.code).toEqual(printed);
    } finally {
      if (saved !== undefined) process.env.CDK_DEFAULT_ACCOUNT = saved;
    }
  });

  test('links only to files in the repository', () => {
    const links = relativeLinks(README);
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((l) => !existsSync(join(ROOT, l)))).toEqual([]);
  });

  test('every example that builds a pipeline is a whole program: it imports what it uses and declares its stack', () => {
    const programs = pipelinePrograms(README);
    expect(programs.length).toBeGreaterThanOrEqual(2);
    for (const p of programs) {
      expect({ line: p.line, importsTheConstruct: /from 'cdk-blue-green-pipeline'/.test(p.code) }).toEqual({ line: p.line, importsTheConstruct: true });
      expect({ line: p.line, makesAnApp: /new App\(/.test(p.code) }).toEqual({ line: p.line, makesAnApp: true });
    }
  });
});

describe('the README helpers', () => {
  test('find fenced blocks, indented ones too, and relative links without anchors', () => {
    const md = ['text [a](docs/a.md#x) [b](https://x.example) [c](#top)', '```ts', 'const a = 1;', '```', '1. step', '   ```sh', '   npm test', '   ```'].join('\n');
    expect(codeBlocks(md)).toEqual([
      { lang: 'ts', code: 'const a = 1;', line: 2 },
      { lang: 'sh', code: 'npm test', line: 6 },
    ]);
    expect(relativeLinks(md)).toEqual(['docs/a.md']);
  });
});
