/**
 * How many session workers a page starts when the orchestrator leaves it to the page (`harness.pageWorkers` 'auto',
 * the default): none below 4 cores. Measured on 2 cores (bench --suite workers, two WASM models at full load, 1 WASM
 * thread each): 2 workers gave 0.49-1.06x the one-thread page's throughput in four runs at load 1-10 (0.61x on a quiet
 * machine); two busy workers, V8's background compiles, the relay, the main thread and Node share the 2 cores, so the
 * second worker has no core of its own. From 4 cores: one worker per 2 cores, at most 4 (not measured here: this
 * project's machines have 2 cores).
 */
export const AUTO_MIN_CORES = 4;
const AUTO_MAX_WORKERS = 4;

/** The page's worker count from its URL's `workers` (a number, or 'auto'/absent for the default) and its cores. */
export function workerCount(param: string | null, cores: number): number {
  if (param !== null && param !== 'auto') {
    const n = Number(param);
    return Number.isInteger(n) && n > 0 ? n : 0;
  }
  return cores >= AUTO_MIN_CORES ? Math.min(AUTO_MAX_WORKERS, Math.floor(cores / 2)) : 0;
}
