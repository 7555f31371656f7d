// A real process that moves stock between two buckets of a deal and is killed with kill -9 in
// the middle of the move (server/test/stock/fixtures/move-child.ts), for the move's crash tests.
import { spawn } from 'node:child_process';
import { waitFor, type TestEnv } from './test-env.ts';

/** Runs a move of `units` from bucket `from` to `to` (of `buckets`) up to `step`, kills the
 *  process there with SIGKILL and resolves once it is gone, with the move's id. */
export async function killMoverAt(env: TestEnv, dealId: string, buckets: number, from: number, to: number,
  units: number, step: 'take' | 'credit'): Promise<{ moveId: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/test/stock/fixtures/move-child.ts',
    dealId, String(buckets), String(from), String(to), String(units), step], {
    env: { ...process.env, ...env.env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
  const exited = new Promise((r) => child.once('exit', r));
  const at = await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`mover exited ${child.exitCode}: ${out}`);
    return /^at (\w+) (\S+)/m.exec(out);
  }, `mover at ${step}`, 30_000);
  child.kill('SIGKILL');
  await exited;
  return { moveId: at[2]! };
}
