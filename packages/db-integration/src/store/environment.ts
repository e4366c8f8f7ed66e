/** Where a measurement was taken: git commit and branch, host and system facts. Read once per process. */
import { execFileSync } from 'node:child_process';
import { cpus, hostname, platform, release, totalmem } from 'node:os';

export interface GitInfo {
  commit: string | undefined;
  branch: string | undefined;
}

export interface SystemInfo {
  host: string;
  os: string;
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).trim() || undefined;
  } catch {
    return undefined;
  }
}

let cachedGit: GitInfo | undefined;

/** The commit being measured: `git rev-parse` in the working directory, else CI variables, else undefined. */
export function gitInfo(): GitInfo {
  cachedGit ??= {
    commit: git(['rev-parse', 'HEAD']) ?? process.env.GITHUB_SHA,
    branch: git(['rev-parse', '--abbrev-ref', 'HEAD']) ?? process.env.GITHUB_REF_NAME,
  };
  return cachedGit;
}

export function systemInfo(): SystemInfo {
  const cpuList = cpus();
  return {
    host: hostname(),
    os: `${platform()} ${release()}`,
    cpu: cpuList[0]?.model ?? 'unknown',
    cores: cpuList.length,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
  };
}
