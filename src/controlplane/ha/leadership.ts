// Who leads the control plane. With the embedded store there is one instance and it leads. With
// etcd every instance campaigns in an etcd election (etcd3's Election on a lease of `ttlS`): the
// winner leads until its lease is lost (process death, partition from etcd), then the next
// candidate is elected. A leader that loses its lease stops at once (fail-stop): it never keeps
// serving on state it may no longer own.
import type { Campaign, ElectionObserver } from 'etcd3';
import type { EtcdStateStore } from '../../store/state-store-etcd.js';

export interface LeadershipHandlers {
  /** This instance was elected; resolve once it serves. */
  elected(): void | Promise<void>;
  /** This instance lost leadership (or could not campaign); `why` says how. */
  lost(why: string): void;
}

export interface Leadership {
  /** Address of the current leader as last observed ('' when unknown). */
  leader(): string;
  /** The store key that exists exactly while this instance holds its lease (for fenced writes). */
  fencingKey(): Promise<string | undefined>;
  close(): Promise<void>;
}

/** The single embedded-store instance: leads at once. */
export function soloLeadership(address: string, handlers: LeadershipHandlers): Leadership {
  void Promise.resolve(handlers.elected());
  return { leader: () => address, fencingKey: async () => undefined, close: async () => undefined };
}

export async function etcdLeadership(store: EtcdStateStore, address: string, ttlS: number, handlers: LeadershipHandlers): Promise<Leadership> {
  const election = store.namespace().election('controlplane', ttlS);
  let leader = '';
  let observer: ElectionObserver | undefined;
  let closed = false;
  try {
    observer = await election.observe();
    leader = observer.leader() ?? '';
    observer.on('change', (value) => (leader = value ?? ''));
    observer.on('error', () => undefined);
  } catch {
    // no observer: the leader hint stays empty; clients still find the leader by trying
  }
  const campaign: Campaign = election.campaign(address);
  campaign.on('elected', () => {
    leader = address;
    void Promise.resolve(handlers.elected());
  });
  campaign.on('error', (err: Error) => {
    if (!closed) handlers.lost(`etcd election: ${err.message}`);
  });
  return {
    leader: () => leader,
    async fencingKey() {
      // The campaign key is named from the etcd root; the store's keys are relative to its namespace.
      const full = await campaign.getCampaignKey();
      const prefix = store.namespace().prefix.toString();
      return full.startsWith(prefix) ? full.slice(prefix.length) : full;
    },
    async close() {
      closed = true;
      await campaign.resign().catch(() => undefined);
      await observer?.cancel().catch(() => undefined);
    },
  };
}

/**
 * Fences the store to this instance's leader lease before it writes anything as leader: from then
 * on a write commits only while the lease (the election key) lives, so a deposed leader — paused
 * past its lease, say — cannot overwrite its successor's state.
 */
export async function fenceStore(leadership: Leadership, store: { setGuard(key: string): void }): Promise<void> {
  const fence = await leadership.fencingKey();
  if (fence) store.setGuard(fence);
}
