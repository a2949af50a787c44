// The `halab` binary: one commander program; each command lives in src/cli/commands/.
import { Command, CommanderError } from 'commander';
import { errorMessage, isHalabError } from '../core/errors.js';
import { EXIT } from '../core/exit-codes.js';
import { COMMANDS } from './commands/index.js';
import { useLabAuth } from '../protocol/lab-auth.js';
import { cliLabAuth } from '../process/lab-secret.js';
import { labPaths } from '../process/paths.js';

export function buildProgram(): Command {
  const program = new Command('halab')
    .description('llm-ha-lab: a chaos and availability lab for LLM serving')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  for (const register of COMMANDS) register(program);
  return program;
}

/** Runs the CLI and returns its exit code (src/core/exit-codes.ts). */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  // the lab's commands (status, inject, heal, deploy, run) call its components as `cli`
  useLabAuth(cliLabAuth(labPaths().labDir));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    if (isHalabError(err)) {
      process.stderr.write(`halab: ${err.message}\n${err.hint ? `hint: ${err.hint}\n` : ''}`);
      return err.exitCode;
    }
    process.stderr.write(`halab: internal error: ${errorMessage(err)}\n${err instanceof Error && process.env.HALAB_DEBUG ? err.stack + '\n' : ''}`);
    return EXIT.internal;
  }
}

const code = await runCli(process.argv.slice(2));
process.exit(code);
