import type { ChildProcess } from 'node:child_process';

/** Kills a child (SIGKILL by default: a crash, as the fault tests want) and resolves once it has exited. */
export async function killAndWait(proc: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill(signal);
  });
}
