// Picks a load driver by name.
import { HalabError } from '../core/errors.js';
import { BuiltinDriver } from './builtin-driver.js';
import type { DriverName, LoadDriver } from './driver.js';

export function createDriver(name: DriverName): LoadDriver {
  if (name === 'builtin') return new BuiltinDriver();
  throw new HalabError('PREREQUISITE_MISSING', `load driver "${name}" is not available in this build`);
}
