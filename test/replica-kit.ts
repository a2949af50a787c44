// In-process stand-in replicas for gateway and GLB tests: fast (0.3× the h100 profile), silent,
// on 127.0.0.1 ephemeral ports, ready when returned.
import { realClock } from '../src/core/clock.js';
import { createLogger } from '../src/core/log.js';
import { memoryEventSink } from '../src/record/events.js';
import { scaledProfile } from '../src/replica/profiles.js';
import { startReplica, type RunningReplica } from '../src/replica/replica-server.js';

const log = createLogger('test', undefined, 'silent');

/** Starts `count` stand-ins r0…r<count-1> serving `modelName` at version v1. */
export async function startTestReplicas(count: number, modelName: string): Promise<RunningReplica[]> {
  const replicas: RunningReplica[] = [];
  for (let i = 0; i < count; i++) {
    const r = await startReplica({
      id: `r${i}`,
      region: 'x',
      cluster: 'p',
      host: '127.0.0.1',
      modelName,
      modelVersion: 'v1',
      profile: scaledProfile('h100-llama3-8b', 0.3, 0),
      seed: 1,
      clock: realClock,
      events: memoryEventSink(`replica/${i}`, realClock),
      log,
      exit: () => undefined,
    });
    await r.ready;
    replicas.push(r);
  }
  return replicas;
}
