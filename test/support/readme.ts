import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const README_PATH = join(__dirname, '..', '..', 'README.md');

/** A fenced code block of the README: its language, its text and the line its fence opens on. */
export interface ReadmeBlock {
  readonly lang: string;
  readonly code: string;
  readonly line: number;
}

/** Every fenced code block of a Markdown text (indented fences too, as in list items). */
export function codeBlocks(markdown: string): ReadmeBlock[] {
  const blocks: ReadmeBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\S*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const indent = open[1].length;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j])) body.push(lines[j++].slice(indent));
    blocks.push({ lang: open[2], code: body.join('\n'), line: i + 1 });
    i = j;
  }
  return blocks;
}

/** The README's TypeScript blocks that construct a BlueGreenPipeline: each must be a whole program. */
export function pipelinePrograms(markdown = readFileSync(README_PATH, 'utf8')): ReadmeBlock[] {
  return codeBlocks(markdown).filter((b) => b.lang === 'ts' && /new BlueGreenPipeline\(/.test(b.code));
}

/** The relative links of a Markdown text (no scheme, no pure anchors), without their anchors. */
export function relativeLinks(markdown: string): string[] {
  const links = [...markdown.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
  return [...new Set(links.filter((l) => !/^[a-z]+:/i.test(l) && !l.startsWith('#')).map((l) => l.split('#')[0]))];
}
