/** `browser-pool availability`: which browsers, backends and adapters exist here, logged to the database. */
import { BROWSER_KINDS, type BrowserKind } from '@browser-pool/browser-harness/kinds';
import { renderRows } from '@browser-pool/db-integration';
import type { Command } from 'commander';

import { dbPathOf, type Io, listOf } from './context';

export function registerAvailabilityCommand(program: Command, io: Io): void {
  program
    .command('availability')
    .description('Launch each browser once, probe WebGPU (adapter, real or software), WebNN devices and WASM, and log it to hardware_availability_log')
    .option('--browsers <list>', `comma-separated: ${BROWSER_KINDS.join(', ')}`, listOf('--browsers', BROWSER_KINDS), [...BROWSER_KINDS])
    .option('--json', 'print as JSON')
    .action(async (opts: { browsers: BrowserKind[]; json?: boolean }, cmd: Command) => {
      const { detectAvailability } = await import('../availability');
      const found = await detectAvailability(dbPathOf(cmd), opts.browsers);
      io.out(opts.json === true ? JSON.stringify(found, null, 2) : renderRows('availability', ['browser', 'browserVersion', 'backend', 'available', 'isRealHardware', 'reason'], found.map((f) => ({ ...f })), 'md'));
    });
}
