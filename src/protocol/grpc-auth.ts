// Lab credentials on gRPC: a client interceptor that sends this process's token in metadata, and a
// server interceptor that refuses (UNAUTHENTICATED) every call whose token the lab secret does not
// verify, before any handler runs, and hands the verified identity to the handler (`callerOf`).
import * as grpc from '@grpc/grpc-js';
import { AUTH_HEADER, CALLER_KEY, currentLabAuth, type LabAuth } from './lab-auth.js';

const tokenSender = (own?: LabAuth): grpc.Interceptor => (options, nextCall) =>
  new grpc.InterceptingCall(nextCall(options), {
    start(metadata, listener, next) {
      const auth = own ?? currentLabAuth();
      if (auth) metadata.set(AUTH_HEADER, auth.token);
      next(metadata, listener);
    },
  });
const sendToken = tokenSender();

/**
 * Client options of every lab gRPC client: its calls carry this process's token, or `own`'s (a
 * replica host's replicas each speak as themselves).
 */
export function labClientOptions(own?: LabAuth): grpc.ClientOptions {
  return { interceptors: [own ? tokenSender(own) : sendToken] };
}

/** A refused call: which method, why, and the identity claimed (when the token named one). */
export interface RefusedCall {
  readonly method: string;
  readonly reason: string;
  readonly peer: string;
}

/** Server interceptor: verifies the caller's token against this process's lab secret. */
export function labAuthInterceptor(onRefused: (r: RefusedCall) => void): grpc.ServerInterceptor {
  return (method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, mdNext) {
            metadata.remove(CALLER_KEY);
            const auth = currentLabAuth();
            if (!auth) return mdNext(metadata);
            const token = metadata.get(AUTH_HEADER)[0];
            const identity = auth.verify(typeof token === 'string' ? token : undefined);
            if (!identity) {
              const reason = token === undefined ? 'no lab credentials' : 'lab credentials not valid for this lab';
              try {
                onRefused({ method: method.path, reason, peer: call.getPeer() });
              } finally {
                call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: `${method.path}: ${reason} (send the token derived from the lab secret in "${AUTH_HEADER}")` });
              }
              return;
            }
            metadata.set(CALLER_KEY, identity);
            mdNext(metadata);
          },
        });
      },
    });
}

/** The verified identity of a call's caller; undefined when this process has no lab credentials. */
export function callerOf(metadata: grpc.Metadata): string | undefined {
  const v = metadata.get(CALLER_KEY)[0];
  return typeof v === 'string' ? v : undefined;
}

/** Whether calls must name an identity (this process is part of a lab). */
export function authRequired(): boolean {
  return currentLabAuth() !== undefined;
}
