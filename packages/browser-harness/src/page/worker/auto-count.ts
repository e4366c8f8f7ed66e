/**
 * How many session workers a page starts when the orchestrator leaves it to the page (`harness.pageWorkers` 'auto',
 * the default): none below 4 cores, one from 4 cores. Measured on 2 cores (bench --suite workers, two WASM models at
 * full load, 1 WASM thread each): 2 workers gave 0.49-1.06x the one-thread page's throughput in four runs at load
 * 1-10 (0.61x on a quiet machine). Per-thread CPU and a Chrome trace showed why (README, "Why row 1 loses"): once two
 * worker isolates run ORT's WASM, V8's background compile threads stay busy (0.5-1.4 cores for 150 s and more) and each
 * run takes 2-5x as long, while one worker computes at the main thread's speed and still brings what workers are for
 * (heartbeats during loads, a stuck model replaced in milliseconds). So 'auto' gives one worker; more run models at the
 * same time but pay that compile cost, and only a number asks for them (not measured above 2 cores).
 */
export const AUTO_MIN_CORES = 4;

/** The page's worker count from its URL's `workers` (a number, or 'auto'/absent for the default) and its cores. */
export function workerCount(param: string | null, cores: number): number {
  if (param !== null && param !== 'auto') {
    const n = Number(param);
    return Number.isInteger(n) && n > 0 ? n : 0;
  }
  return cores >= AUTO_MIN_CORES ? 1 : 0;
}
