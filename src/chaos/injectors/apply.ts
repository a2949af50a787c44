// Runs one injector with undo on failure: when it throws half-way, the undo steps it recorded
// are run last first before the error is rethrown, with any heal failures added to its message.
import { errorMessage, HalabError } from '../../core/errors.js';
import type { Injected, Injector, InjectorContext, ResolvedRequest } from './injector.js';
import { runUndoSteps, type UndoStep } from './undo.js';

export async function applyInjector(ctx: InjectorContext, injector: Injector, req: ResolvedRequest): Promise<Injected & { readonly undo: readonly UndoStep[] }> {
  const undo: UndoStep[] = [];
  try {
    return { ...(await injector.inject(ctx, req, undo)), undo };
  } catch (err) {
    const failures = await runUndoSteps(ctx, undo, req.id);
    if (failures.length === 0) throw err;
    const message = `${errorMessage(err)}; healing what it had done failed: ${failures.join('; ')}`;
    throw err instanceof HalabError ? new HalabError(err.code, message, err.hint) : new HalabError('UPSTREAM_FAILED', message);
  }
}
