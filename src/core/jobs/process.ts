/**
 * Is the worker we launched still running? A pid alone is not enough: after a reboot or a long time
 * the number can belong to another process. On Linux the kernel's start time of the process (field 22
 * of /proc/PID/stat) goes with the pid as a token; elsewhere `ps -o lstart=` gives the same.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A string that identifies this run of `pid` (its start time), or undefined when it cannot be read. */
export function processStartToken(pid: number): string | undefined {
  if (process.platform === 'linux') return procStat(pid)?.startTime;
  if (process.platform === 'win32') return undefined;
  try {
    return execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', timeout: 5_000 }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** True when `pid` runs and, when a token is given, is the same process that had that token. */
export function isProcessAlive(pid: number, token?: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (process.platform === 'linux') {
    const stat = procStat(pid);
    // A zombie has exited; it only waits for its parent to collect the exit status.
    if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
    return token === undefined || stat.startTime === token;
  }
  try {
    process.kill(pid, 0);
  } catch {
    // ESRCH: gone. EPERM: it exists but belongs to another user, so it is not our worker.
    return false;
  }
  if (token === undefined) return true;
  const now = processStartToken(pid);
  return now === undefined || now === token;
}

function procStat(pid: number): { state: string; startTime: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself contain spaces or parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], startTime: fields[19] };
}
