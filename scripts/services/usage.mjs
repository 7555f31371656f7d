// `--help` for the npm scripts: answered before a script checks, connects to or starts anything.
// Plain .mjs so the .mjs scripts (start, test, bench) and the .ts ones share it.

/** True when argv asks for help (`--help` or `-h`). */
export function wantsHelp(argv = process.argv.slice(2)) {
  return argv.includes('--help') || argv.includes('-h');
}

/** Prints `usage` and exits 0 when argv asks for help; otherwise returns. */
export function answerHelp(usage, argv = process.argv.slice(2)) {
  if (!wantsHelp(argv)) return;
  process.stdout.write(`${usage.trim()}\n`);
  process.exit(0);
}
