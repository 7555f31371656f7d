// What `npm start` does with the server's output: the pino JSON lines go to a log file (or the
// terminal with FF_LOG_FILE=-); the terminal gets one human line for each warning or error and
// every line that is not a log record.
import { createWriteStream, existsSync, renameSync } from 'node:fs';
import path from 'node:path';
import { ROOT, ensureDir, warn } from './util.mjs';

// pino levels worth a line on the terminal
const LEVEL_NAMES = { 40: 'warning', 50: 'error', 60: 'fatal' };

/** Where the server's JSON lines go: a file (the previous run's kept as .1) or, for "-", the terminal. */
export function openServerLog(target) {
  if (target === '-') {
    return { name: 'this terminal (FF_LOG_FILE=-)', toTerminal: true, write: (l) => process.stdout.write(`${l}\n`), close() {} };
  }
  const file = path.resolve(ROOT, target);
  ensureDir(path.dirname(file));
  if (existsSync(file)) try { renameSync(file, `${file}.1`); } catch { /* keep appending */ }
  const stream = createWriteStream(file, { flags: 'a' });
  stream.on('error', (err) => warn(`writing ${file}: ${err.message}`));
  const relative = path.relative(process.cwd(), file);
  return {
    name: relative.startsWith('..') ? file : relative,
    toTerminal: false,
    write: (l) => stream.write(`${l}\n`),
    close: () => stream.end(),
  };
}

/**
 * The terminal's version of one server output line: null for a routine log record (the file has
 * it), one short line for a warning or worse (on stderr), anything else as it is.
 * @returns {{ text: string, toStderr: boolean } | null}
 */
export function terminalLine(line) {
  let entry;
  try {
    entry = JSON.parse(line);
  } catch {
    return { text: line, toStderr: false }; // not a log record: something meant for people
  }
  const level = LEVEL_NAMES[entry?.level];
  if (!level) return null;
  const detail = entry.err?.message ? `: ${entry.err.message}` : '';
  return { text: `flashfest: server ${level}: ${entry.msg ?? ''}${detail}`, toStderr: true };
}
