/**
 * Finds a command name that names no command, before commander parses: commander handles `--help` (and `-h`)
 * ahead of its unknown-command check, so `browser-pool frobnicate --help` printed the top-level help and exited 0,
 * and a script could not tell a missing command from a working one. Walks the arguments level by level (skipping
 * each level's options and their values) and returns the path of the first name no command at that level knows.
 */
import type { Command } from 'commander';

/** True when `arg` is an option of `command` or a command above it (global options may follow a command) that takes a value in the next argument. */
function takesValue(command: Command, arg: string): boolean {
  for (let c: Command | null = command; c !== null; c = c.parent) {
    const option = c.options.find((o) => o.long === arg || o.short === arg);
    if (option !== undefined) {
      return option.required || option.optional;
    }
  }
  return false;
}

/** The unknown name with the command path before it (e.g. `db frobnicate`), or undefined when every name is known. */
export function unknownCommand(program: Command, argv: readonly string[]): string | undefined {
  let level = program;
  const path: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      return undefined;
    }
    if (arg.startsWith('-')) {
      if (takesValue(level, arg)) {
        i++;
      }
      continue;
    }
    if (level.commands.length === 0) {
      return undefined; // an operand of a leaf command, not a command name
    }
    if (arg === 'help') {
      return undefined; // commander's help command takes the names that follow
    }
    const next = level.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (next === undefined) {
      return [...path, arg].join(' ');
    }
    path.push(arg);
    level = next;
  }
  return undefined;
}
