/**
 * How many session workers a page starts when the orchestrator leaves it to the page (`harness.pageWorkers` 'auto',
 * the default): none below 4 cores, one from 4, two from 8.
 *
 * On 2 cores (bench --suite workers, two WASM models at full load, 1 WASM thread each) 2 workers gave 0.49-1.06x the
 * one-thread page's throughput in four runs at load 1-10 (0.61-0.82x on a quiet machine). Per-thread CPU and a Chrome
 * trace showed why (README, "Why row 1 loses"): once two worker isolates run ORT's WASM, V8's background compile
 * threads stay busy (0.5-1.4 cores for 150 s and more) and each run takes 2-5x as long, while one worker computes at
 * the main thread's speed and still brings what workers are for (heartbeats during loads, a stuck model replaced in
 * milliseconds). On 16 cores (an H200 machine, 4 WASM threads per session thread) the same bench gave 2 workers 1.74x
 * (735 vs 421 req/s): there the compile threads have cores of their own. 8 is between the two measured machines, not
 * measured itself: room for two busy workers and V8's compile threads with cores to spare.
 */
export const AUTO_MIN_CORES = 4;
/** Cores from which 'auto' gives two workers. */
export const AUTO_TWO_WORKERS_CORES = 8;

/** The page's worker count from its URL's `workers` (a number, or 'auto'/absent for the default) and its cores. */
export function workerCount(param: string | null, cores: number): number {
  if (param !== null && param !== 'auto') {
    const n = Number(param);
    return Number.isInteger(n) && n > 0 ? n : 0;
  }
  return cores >= AUTO_TWO_WORKERS_CORES ? 2 : cores >= AUTO_MIN_CORES ? 1 : 0;
}
