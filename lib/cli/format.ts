import { shortDigest as coreShortDigest } from './control-plane';
import type { SlotStatus } from './observe';

/** The core's short digest, `-` for none. */
export function shortDigest(digest: string | null | undefined): string {
  return digest ? coreShortDigest(digest) : '-';
}

export function shortCommit(commit: string | null | undefined): string {
  if (!commit) return '-';
  return /^[0-9a-f]{40}$/i.test(commit) ? commit.slice(0, 10) : commit;
}

/** One phrase on whether a slot can take traffic. */
export function describeHealth(s: SlotStatus): string {
  if (s.desired === 0 && s.running === 0) return 'no tasks';
  const targets = `${s.healthyTargets}/${s.targets} targets healthy`;
  return s.unsteady === null ? `${targets}, steady` : `${targets}, not steady (${s.unsteady})`;
}

export function describeDigests(digests: readonly string[]): string {
  if (digests.length === 0) return 'no running tasks';
  return digests.map(shortDigest).join(' + ');
}

/** Label/value lines with the values aligned. */
export function fields(rows: ReadonlyArray<readonly [string, string]>, indent = 2): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${' '.repeat(indent)}${k.padEnd(width)}  ${v}`).join('\n') + '\n';
}

/** A plain text table: header row plus rows, columns padded to their widest cell. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** ISO time as `YYYY-MM-DD HH:MMZ`, readable at 3 a.m. and unambiguous across time zones. */
export function when(iso: string | Date | undefined): string {
  if (!iso) return '-';
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

export interface Style {
  loud(text: string): string;
  good(text: string): string;
  dim(text: string): string;
}

/** Colour only on a terminal, and never when NO_COLOR is set. */
export function style(enabled: boolean): Style {
  const wrap = (code: string) => (text: string) => (enabled ? `\x1b[${code}m${text}\x1b[0m` : text);
  return { loud: wrap('1;31'), good: wrap('32'), dim: wrap('2') };
}
