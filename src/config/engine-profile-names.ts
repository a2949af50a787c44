// The names of the stand-in engine profiles (the figures live in src/replica/profiles.ts, whose test
// keeps the two lists equal), so a topology naming an unknown profile is refused before any
// process starts.
export const ENGINE_PROFILE_NAMES: readonly string[] = Object.freeze(['h100-llama3-8b', 'a100-llama3-8b', 'l4-llama3-8b']);
