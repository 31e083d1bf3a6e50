// Structured logs: one JSON object per line, each carrying the fields of its context
// (executionId, jobId, operation). Every line is bounded whatever the input: long strings are
// clipped and counted, long lists shortened, and a line still over the bound keeps only its
// context, level and message.
import { Logger } from '../core/ports';
import { clip } from '../core/text';

export type LogSink = (line: string) => void;

/** The most characters of one string value a log line carries. */
export const MAX_LOG_STRING = 2048;
/** The most list items a log line carries per list. */
export const MAX_LOG_ITEMS = 50;
/** The most UTF-8 bytes of one log line (a few KB: readable, cheap to store, well under CloudWatch Logs' event limit). */
export const MAX_LOG_LINE_BYTES = 8192;

const defaultSink: LogSink = (line) => process.stdout.write(`${line}\n`);

function bounded(_key: string, value: unknown): unknown {
  if (typeof value === 'string') return clip(value, MAX_LOG_STRING);
  if (Array.isArray(value) && value.length > MAX_LOG_ITEMS) return [...value.slice(0, MAX_LOG_ITEMS), `… (${value.length - MAX_LOG_ITEMS} more items)`];
  return value;
}

function serialise(entry: Record<string, unknown>): string | undefined {
  try {
    return JSON.stringify(entry, bounded);
  } catch {
    return undefined;
  }
}

export function createLogger(fields: Record<string, unknown>, sink: LogSink = defaultSink): Logger {
  const write = (level: string, message: string, extra?: Record<string, unknown>) => {
    const time = new Date().toISOString();
    let line = serialise({ level, message, ...fields, ...extra, time });
    if (line === undefined || Buffer.byteLength(line, 'utf8') > MAX_LOG_LINE_BYTES) {
      const note = line === undefined ? 'fields not serialisable' : `line over ${MAX_LOG_LINE_BYTES} bytes: extra fields left out`;
      const context = Object.fromEntries(
        Object.entries(fields).map(([k, v]) => [k, typeof v === 'string' ? clip(v, 256) : v === null || typeof v !== 'object' ? v : '(left out)']),
      );
      line = JSON.stringify({ level, message: clip(message, 1024), ...context, time, note, fieldsLeftOut: Object.keys(extra ?? {}).slice(0, 20) }, bounded);
    }
    sink(line);
  };
  return {
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (more) => createLogger({ ...fields, ...more }, sink),
  };
}
