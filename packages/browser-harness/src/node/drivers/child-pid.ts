/**
 * Finds the OS process id of a browser that Playwright launched over a pipe (its `launch()` exposes no process):
 * the child of this process whose command line carries a marker argument. Linux only (/proc); elsewhere the pid
 * stays unknown and recovery relies on the pipe closing, as it does for remote browsers.
 */
import { readdirSync, readFileSync } from 'node:fs';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process ended while we looked, or /proc is not there
  }
}

/** Parent pid from /proc/<pid>/stat (the field after the parenthesised command name, which may hold spaces). */
function parentOf(pid: string): number | undefined {
  const stat = read(`/proc/${pid}/stat`);
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields === undefined ? undefined : Number(fields[1]);
}

export function childPidWithArgument(marker: string): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const pid of entries) {
    if (!/^\d+$/.test(pid) || parentOf(pid) !== process.pid) {
      continue;
    }
    if (read(`/proc/${pid}/cmdline`)?.split('\0').includes(marker) === true) {
      return Number(pid);
    }
  }
  return undefined;
}
