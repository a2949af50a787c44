// gRPC edge of deployments: StartDeploy, GetDeploy and WatchDeploy handlers over a
// DeployController, and the conversion of its status into halab.v1.DeployStatus.
import { grpc } from '../../protocol/grpc.js';
import { errorMessage, isHalabError } from '../../core/errors.js';
import type { ControlPlaneHandlers } from '../../gen/halab/v1/ControlPlane.js';
import type { DeployStatus } from '../../gen/halab/v1/DeployStatus.js';
import type { DeployOptions__Output } from '../../gen/halab/v1/DeployOptions.js';
import type { ControlPlane } from '../fleet/control-plane.js';
import type { DeployController, DeploymentStatus } from './controller.js';
import type { DeployRequestInput } from '../../policy/rollout-config.js';

export function toDeployStatusMsg(s: DeploymentStatus, cp: ControlPlane): DeployStatus {
  return {
    deployId: s.deployId,
    strategy: s.strategy,
    modelVersion: s.modelVersion,
    fromVersion: s.fromVersion,
    state: s.state,
    reason: s.reason,
    startedAtMs: s.startedAtMs,
    endedAtMs: s.endedAtMs,
    steps: s.steps.map((st) => ({ atMs: st.atMs, type: st.type, subject: st.subject, reason: st.reason ?? '', dataJson: st.data ? JSON.stringify(st.data) : '' })),
    versions: Object.fromEntries([...cp.registry.replicas.values()].map((e) => [e.id, e.modelVersion])),
  };
}

/** The request's options as the controller's input (0 and empty mean "the default"). */
export function deployInput(modelVersion: string, strategy: string, behaviour: string, o: DeployOptions__Output | null | undefined): DeployRequestInput {
  return {
    modelVersion,
    strategy,
    behaviour,
    options: o
      ? {
          drainMs: o.drainMs,
          verifyTimeoutMs: o.verifyTimeoutMs,
          watchMs: o.watchMs,
          canaryShare: o.canaryShare,
          canaryMs: o.canaryMs,
          analysisMs: o.analysisMs,
          steps: o.steps,
          stepMs: o.stepMs,
          keepBlueMs: o.keepBlueMs,
          rollbackScope: o.rollbackScope,
          canaryReplicas: o.canaryReplicas,
          sampleIntervalMs: o.sampleIntervalMs,
        }
      : {},
  };
}

type DeployHandlers = Pick<ControlPlaneHandlers, 'StartDeploy' | 'GetDeploy' | 'WatchDeploy'>;

export function deployHandlers(cp: ControlPlane, deploys: DeployController | undefined): DeployHandlers {
  const unavailable = { code: grpc.status.UNIMPLEMENTED, details: 'this control plane runs without deployments' };
  return {
    StartDeploy(call, callback) {
      if (!deploys) return callback(unavailable);
      const r = call.request;
      try {
        callback(null, toDeployStatusMsg(deploys.start(deployInput(r.modelVersion, r.strategy, r.behaviour, r.options)), cp));
      } catch (err) {
        const code = isHalabError(err) ? (err.code === 'LAB_ALREADY_RUNNING' ? grpc.status.FAILED_PRECONDITION : grpc.status.INVALID_ARGUMENT) : grpc.status.INTERNAL;
        callback({ code, details: errorMessage(err) });
      }
    },
    GetDeploy(call, callback) {
      if (!deploys) return callback(unavailable);
      const s = deploys.get(call.request.deployId);
      if (!s) return callback({ code: grpc.status.NOT_FOUND, details: call.request.deployId ? `no deployment ${call.request.deployId}` : 'no deployment yet' });
      callback(null, toDeployStatusMsg(s, cp));
    },
    WatchDeploy(call) {
      const s = deploys?.get(call.request.deployId);
      if (!deploys || !s) {
        call.emit('error', deploys ? { code: grpc.status.NOT_FOUND, details: 'no such deployment' } : unavailable);
        return;
      }
      const send = (d: DeploymentStatus): void => {
        if (d.deployId !== s.deployId) return;
        call.write(toDeployStatusMsg(d, cp));
        if (d.state !== 'running') {
          unsubscribe();
          call.end();
        }
      };
      const unsubscribe = deploys.watch(send);
      call.on('cancelled', unsubscribe);
      call.on('close', unsubscribe);
      send(s);
    },
  };
}
