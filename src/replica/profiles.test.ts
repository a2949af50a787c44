import { describe, expect, it } from 'vitest';
import { ENGINE_PROFILE_NAMES } from '../config/engine-profile-names.js';
import { PROFILES } from './profiles.js';

describe('engine profiles', () => {
  it('the topology validator knows exactly the profiles stand-ins have', () => {
    expect([...ENGINE_PROFILE_NAMES].sort()).toEqual(Object.keys(PROFILES).sort());
  });
});
