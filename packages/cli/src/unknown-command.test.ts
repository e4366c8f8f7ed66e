import { describe, expect, it } from 'vitest';

import { buildProgram, main } from './main';
import { unknownCommand } from './unknown-command';

const quiet = { out: (): void => undefined, err: (): void => undefined };

describe('unknownCommand', () => {
  const program = buildProgram(quiet);

  it('names the first unknown command, whatever flags come before or after it', () => {
    expect(unknownCommand(program, ['frobnicate'])).toBe('frobnicate');
    expect(unknownCommand(program, ['frobnicate', '--help'])).toBe('frobnicate');
    expect(unknownCommand(program, ['--help', 'frobnicate', '-h', '--port', '1'])).toBe('frobnicate');
    expect(unknownCommand(program, ['--db', 'x.duckdb', 'frobnicate'])).toBe('frobnicate');
    expect(unknownCommand(program, ['--db=x.duckdb', 'frobnicate'])).toBe('frobnicate');
    expect(unknownCommand(program, ['db', 'frobnicate', '--help'])).toBe('db frobnicate');
    expect(unknownCommand(program, ['db', '--db', 'x', 'frobnicate'])).toBe('db frobnicate');
  });

  it('leaves known commands, option values, operands and help alone', () => {
    expect(unknownCommand(program, [])).toBeUndefined();
    expect(unknownCommand(program, ['--help'])).toBeUndefined();
    expect(unknownCommand(program, ['--db', 'bench', 'dashboard', '--help'])).toBeUndefined();
    expect(unknownCommand(program, ['db', 'stats'])).toBeUndefined();
    expect(unknownCommand(program, ['help', 'bench'])).toBeUndefined();
    expect(unknownCommand(program, ['query', 'SELECT 1'])).toBeUndefined();
    expect(unknownCommand(program, ['--', 'frobnicate'])).toBeUndefined();
  });

  it('main exits 2 with "unknown command: <name>" on stderr and prints no help', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (s: string): void => { out.push(s); }, err: (s: string): void => { err.push(s); } };
    expect(await main(['frobnicate', '--help'], io)).toBe(2);
    expect(out).toEqual([]);
    expect(err.join('\n')).toMatch(/^browser-pool: unknown command: frobnicate \(/);
  });
});
