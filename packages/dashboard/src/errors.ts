/** Errors of the dashboard's Node side, with stable codes (listed in README's Dashboard table). */
export const DashboardErrorCode = {
  /** The built page is missing: `npm run setup` (or `npx vite build`) has not built dist/pages/dashboard.html. */
  PageNotBuilt: 'E_DASHBOARD_NOT_BUILT',
  /** The snapshot folder has no manifest.json written by db-integration's `writeSnapshot`. */
  NoSnapshot: 'E_DASHBOARD_NO_SNAPSHOT',
  /** `--static` points at a folder that exists and is not an earlier dashboard export. */
  OutputExists: 'E_DASHBOARD_OUTPUT_EXISTS',
  /** The server was asked to bind to something other than a loopback address. */
  NotLoopback: 'E_DASHBOARD_NOT_LOOPBACK',
} as const;
export type DashboardErrorCode = (typeof DashboardErrorCode)[keyof typeof DashboardErrorCode];

export class DashboardError extends Error {
  constructor(
    readonly code: DashboardErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  override get name(): string {
    return 'DashboardError';
  }
}
