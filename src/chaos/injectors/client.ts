// The client family (load.*): a client-side fault is a class of misbehaving clients that the load
// driver adds during `halab run`, scheduled from the same seeded fault schedule. There is nothing
// to do to the lab itself, so injecting one directly (`halab inject`) is refused with the reason.
import { HalabError } from '../../core/errors.js';
import { FAULT_KINDS } from '../../config/fault-kinds.js';
import type { Injector } from './injector.js';

export const clientInjector: Injector = {
  family: 'client',
  kinds: FAULT_KINDS.filter((k) => k.target === 'clients').map((k) => k.kind),
  inject(_ctx, req) {
    return Promise.reject(
      new HalabError('UNKNOWN_TARGET', `${req.kind} is a client-side fault: the load driver applies it during \`halab run\` (put it in a scenario's faults with target: clients); it cannot be injected into a lab`),
    );
  },
};
