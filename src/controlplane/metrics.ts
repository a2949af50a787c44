// Prometheus metrics of the control plane, fed from its events, plus gauges read at scrape time.
// Served on a small HTTP listener next to the gRPC port (GET /metrics).
import { Counter, Gauge, Registry } from 'prom-client';
import { registerProcessMetrics } from '../record/process-metrics.js';
import type { LabEvent } from '../record/events.js';
import { EV } from '../record/event-types.js';
import type { ControlPlane } from './fleet/control-plane.js';

export interface ControlPlaneMetrics {
  readonly registry: Registry;
  observeEvent(e: LabEvent): void;
  bind(cp: ControlPlane): void;
}

export function createControlPlaneMetrics(): ControlPlaneMetrics {
  const registry = new Registry();
  registerProcessMetrics(registry);
  const transitions = new Counter({ name: 'halab_controlplane_health_transitions_total', help: 'Health signal transitions, by signal and new state.', labelNames: ['signal', 'to'], registers: [registry] });
  const routing = new Counter({ name: 'halab_controlplane_routing_changes_total', help: 'Replicas added to or removed from routing.', labelNames: ['change'], registers: [registry] });
  const failovers = new Counter({ name: 'halab_controlplane_failovers_total', help: 'Cluster failover steps (failed, promoted, demoted, recovered, no-healthy-backup).', labelNames: ['step'], registers: [registry] });
  const disconnects = new Counter({ name: 'halab_controlplane_disconnects_total', help: 'Replica heartbeat streams that ended.', registers: [registry] });
  const deploySteps = new Counter({ name: 'halab_controlplane_deploy_steps_total', help: 'Deployment steps (deploy.* events), by step.', labelNames: ['step'], registers: [registry] });
  const deployments = new Counter({ name: 'halab_controlplane_deployments_total', help: 'Deployments that ended, by outcome (succeeded, rolled-back, failed).', labelNames: ['outcome'], registers: [registry] });
  let bound: ControlPlane | undefined;
  new Gauge({ name: 'halab_controlplane_routable_replicas', help: 'Replicas in the published routable topology.', registers: [registry], collect() { this.set(bound?.current().replicas.filter((r) => r.routable).length ?? 0); } });
  new Gauge({ name: 'halab_controlplane_topology_version', help: 'Version of the published topology.', registers: [registry], collect() { this.set(bound?.current().version ?? 0); } });
  const FAILOVER_STEPS: Record<string, string> = {
    [EV.clusterFailed]: 'failed',
    [EV.clusterPromoted]: 'promoted',
    [EV.clusterDemoted]: 'demoted',
    [EV.clusterRecovered]: 'recovered',
    [EV.regionNoHealthyBackup]: 'no-healthy-backup',
  };
  return {
    registry,
    observeEvent(e) {
      if (e.type === EV.healthSignal) transitions.inc({ signal: String(e.data?.signal), to: String(e.data?.to) });
      else if (e.type === EV.routingAdded) routing.inc({ change: 'added' });
      else if (e.type === EV.routingRemoved) routing.inc({ change: 'removed' });
      else if (e.type === EV.replicaDisconnected) disconnects.inc();
      else if (FAILOVER_STEPS[e.type]) failovers.inc({ step: FAILOVER_STEPS[e.type]! });
      else if (e.type.startsWith('deploy.')) {
        const step = e.type.slice('deploy.'.length);
        deploySteps.inc({ step });
        if (step === 'succeeded' || step === 'rolled-back' || step === 'failed') deployments.inc({ outcome: step });
      }
    },
    bind(cp) {
      bound = cp;
    },
  };
}

/** Serves GET /metrics on host:0 (the one HTTP surface of every lab process's metrics). */
export { serveMetrics } from '../record/process-metrics.js';
