/**
 * `--static out/`: the same files the server serves, in one folder that works from any static host (the page
 * fetches `snapshot/...` and `assets/...` relative to itself).
 */
import { cpSync, existsSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

import { DashboardError, DashboardErrorCode } from './errors';
import { checkFiles, type DashboardFiles, SNAPSHOT_PREFIX } from './files';

const MARKER = 'index.html';

/** Writes index.html, assets/ and snapshot/ into `out`; a folder from an earlier export is replaced. */
export async function writeStaticDashboard(files: DashboardFiles, out: string): Promise<string> {
  checkFiles(files);
  const target = path.resolve(out);
  if (existsSync(target) && readdirSync(target).length > 0 && !existsSync(path.join(target, SNAPSHOT_PREFIX, 'manifest.json'))) {
    throw new DashboardError(DashboardErrorCode.OutputExists, `${target} is not empty and is not an earlier dashboard export; pick a new folder`);
  }
  await mkdir(target, { recursive: true });
  cpSync(path.join(files.pagesDir, 'dashboard.html'), path.join(target, MARKER));
  cpSync(path.join(files.pagesDir, 'assets'), path.join(target, 'assets'), { recursive: true });
  if (path.resolve(files.snapshotDir) !== path.join(target, SNAPSHOT_PREFIX)) {
    cpSync(files.snapshotDir, path.join(target, SNAPSHOT_PREFIX), { recursive: true });
  }
  return target;
}
