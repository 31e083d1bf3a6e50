// Structured logs: one JSON object per line, each carrying the fields of its context
// (executionId, jobId, operation).
import { Logger } from '../core/ports';

export type LogSink = (line: string) => void;

const defaultSink: LogSink = (line) => process.stdout.write(`${line}\n`);

export function createLogger(fields: Record<string, unknown>, sink: LogSink = defaultSink): Logger {
  const write = (level: string, message: string, extra?: Record<string, unknown>) => {
    let line: string;
    try {
      line = JSON.stringify({ level, message, ...fields, ...extra, time: new Date().toISOString() });
    } catch {
      line = JSON.stringify({ level, message, ...fields, time: new Date().toISOString(), note: 'fields not serialisable' });
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
