import { pino, type Logger } from 'pino';

export type { Logger };

/** One JSON logger per process; children carry `role` and, on the grab path, `hold` / `rid`. */
export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { pid: process.pid, ...base } });
}
