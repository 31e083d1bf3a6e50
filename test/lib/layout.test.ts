// The shape of lib/, as the README's "Repository layout" promises it: small files and functions,
// no import cycles, public types in files that import nothing back, an index that only
// re-exports, and one surface between the CLI and the control plane. Read with the TypeScript
// compiler's parser, so comments and strings never count as code.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

const ROOT = resolve(__dirname, '../..');
const LIB = join(ROOT, 'lib');
const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 80;

function sources(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return sources(path);
      return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
    })
    .sort();
}

const parse = (file: string) => ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
const rel = (file: string) => relative(ROOT, file);
const lineOf = (src: ts.SourceFile, pos: number) => src.getLineAndCharacterOfPosition(pos).line + 1;

/** Every function with a body, with its length in lines. */
export function functionLengths(src: ts.SourceFile): Array<{ name: string; line: number; lines: number }> {
  const found: Array<{ name: string; line: number; lines: number }> = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = lineOf(src, node.getStart(src));
      const name = (node as ts.FunctionLikeDeclaration).name?.getText(src) ?? (ts.isConstructorDeclaration(node) ? 'constructor' : '(anonymous)');
      found.push({ name, line: start, lines: lineOf(src, node.getEnd()) - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(src);
  return found;
}

/** The files of this package a file imports or re-exports (type-only imports too: they are dependencies of the reader). */
export function localImports(file: string, src: ts.SourceFile = parse(file)): string[] {
  const targets: string[] = [];
  for (const statement of src.statements) {
    const spec = (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier;
    if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith('.')) continue;
    const base = resolve(dirname(file), spec.text);
    const candidates = [`${base}.ts`, join(base, 'index.ts')];
    const hit = candidates.find((c) => {
      try {
        return statSync(c).isFile();
      } catch {
        return false;
      }
    });
    if (hit) targets.push(hit);
  }
  return targets;
}

/** Every import cycle among `files`, each as the list of files around it. */
export function importCycles(files: string[], importsOf: (file: string) => string[]): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of importsOf(file)) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of files) if (!state.has(file)) visit(file);
  return cycles;
}

const LIB_FILES = sources(LIB);

describe('the layout of lib/', () => {
  test(`no source file is over ${MAX_FILE_LINES} lines`, () => {
    const long = LIB_FILES.map((f) => [rel(f), readFileSync(f, 'utf8').split('\n').length] as const).filter(([, n]) => n > MAX_FILE_LINES);
    expect(long).toEqual([]);
  });

  test(`no function is over ${MAX_FUNCTION_LINES} lines`, () => {
    const long = LIB_FILES.flatMap((f) =>
      functionLengths(parse(f))
        .filter((fn) => fn.lines > MAX_FUNCTION_LINES)
        .map((fn) => `${rel(f)}:${fn.line} ${fn.name} (${fn.lines} lines)`),
    );
    expect(long).toEqual([]);
  });

  test('no import cycles', () => {
    const inLib = (f: string) => f.startsWith(LIB);
    expect(importCycles(LIB_FILES, (f) => localImports(f).filter(inLib)).map((c) => c.map(rel).join(' → '))).toEqual([]);
  });

  test('lib/index.ts only re-exports', () => {
    const src = parse(join(LIB, 'index.ts'));
    const other = src.statements.filter((s) => !(ts.isExportDeclaration(s) && s.moduleSpecifier)).map((s) => s.getText(src));
    expect(other).toEqual([]);
    expect(src.statements.length).toBeGreaterThan(0);
  });

  test('the public types import nothing of this package but other public types', () => {
    // Every lib/*.ts but the construct and the index declares public types only.
    const publicTypes = sources(LIB).filter((f) => dirname(f) === LIB && !['index.ts', 'blue-green-pipeline.ts'].includes(basename(f)));
    expect(publicTypes.map(rel)).toContain('lib/blue-green-pipeline-props.ts');
    const outside = publicTypes.flatMap((f) => localImports(f).filter((t) => !publicTypes.includes(t)).map((t) => `${rel(f)} -> ${rel(t)}`));
    expect(outside).toEqual([]);
  });

  test('the CLI reaches the control plane through lib/cli/control-plane.ts only', () => {
    const lambdas = join(ROOT, 'lambdas');
    const reaching = sources(join(LIB, 'cli'))
      .filter((f) => localImports(f).some((t) => t.startsWith(lambdas)))
      .map(rel);
    expect(reaching).toEqual(['lib/cli/control-plane.ts']);
  });
});

describe('the layout checks', () => {
  const fake = (text: string) => ts.createSourceFile('fake.ts', text, ts.ScriptTarget.Latest, true);

  test('measure functions, methods, constructors and arrow functions', () => {
    const text = ['function a() {', '  return 1;', '}', 'class B {', '  constructor() {', '    const f = () => {', '      return 2;', '    };', '  }', '}'].join('\n');
    expect(functionLengths(fake(text))).toEqual([
      { name: 'a', line: 1, lines: 3 },
      { name: 'constructor', line: 5, lines: 5 },
      { name: '(anonymous)', line: 6, lines: 3 },
    ]);
  });

  test('find a cycle, and none in a tree', () => {
    const graph: Record<string, string[]> = { a: ['b'], b: ['c'], c: ['a'], d: ['a'] };
    expect(importCycles(['a', 'b', 'c', 'd'], (f) => graph[f] ?? [])).toEqual([['a', 'b', 'c', 'a']]);
    const tree: Record<string, string[]> = { a: ['b', 'c'], b: ['c'], c: [] };
    expect(importCycles(['a', 'b', 'c'], (f) => tree[f] ?? [])).toEqual([]);
  });
});
