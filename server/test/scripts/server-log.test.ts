// `npm start`'s terminal: the server's routine JSON stays in the log file; warnings and errors
// become one human line each.
import { describe, expect, it } from 'vitest';
import { terminalLine } from '../../../scripts/services/server-log.mjs';

const record = (level: number, msg: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ level, time: 1, pid: 7, role: 'all', msg, ...extra });

describe('server output on the npm start terminal', () => {
  it('keeps info and debug records off the terminal', () => {
    expect(terminalLine(record(30, 'gateway listening'))).toBeNull();
    expect(terminalLine(record(20, 'grab batch decided'))).toBeNull();
  });

  it('turns a warning or error into one line on stderr, with the error message', () => {
    expect(terminalLine(record(40, 'live: slow tick'))).toEqual({ text: 'flashfest: server warning: live: slow tick', toStderr: true });
    expect(terminalLine(record(50, 'stop failed', { err: { type: 'Error', message: 'connection reset', stack: '...' } })))
      .toEqual({ text: 'flashfest: server error: stop failed: connection reset', toStderr: true });
  });

  it('passes a line that is not a log record through as it is', () => {
    expect(terminalLine('something for people')).toEqual({ text: 'something for people', toStderr: false });
  });
});
