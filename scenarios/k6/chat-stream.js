// k6 script of llm-ha-lab's k6 load driver (src/load/k6-driver.ts writes its config and runs it).
// Open arrival model: a constant-arrival-rate scenario starts `rate` chat completions per time unit
// whether or not earlier ones finished. Each iteration sends the pre-generated request of its
// global index (the driver computed prompts and seeds with the same functions as the built-in
// driver) and prints one line "HALAB_RECORD <json>" with what the client saw: times, status,
// k6 error, and the raw response body. The driver parses that body with the same SSE parser and
// outcome rules as the built-in driver and checks correctness against the deterministic answer.
//
// k6's http module returns the body whole at the end, so the time of the first token is taken as
// the time of the first response byte (end - timings.receiving): the gateway sends its headers
// together with the first token (src/gateway/openai-sinks.ts commits on the first token), so for a
// streamed 200 the first byte is the first token. Inter-token gaps cannot be observed.
//
// Thresholds (from the scenario's targets) are client-side checks k6 evaluates itself; k6 exits 99
// when one fails and the driver turns that into the `k6Thresholds` check of the verdict.
import http from 'k6/http';
import exec from 'k6/execution';
import { SharedArray } from 'k6/data';
import { Rate, Trend } from 'k6/metrics';

const cfg = JSON.parse(open(__ENV.HALAB_K6_CONFIG));
// one copy for all VUs
const requests = new SharedArray('requests', () => JSON.parse(open(cfg.requestsFile)));

export const options = {
  discardResponseBodies: false,
  summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(99)', 'max'],
  scenarios: {
    chat: {
      executor: 'constant-arrival-rate',
      rate: cfg.rate,
      timeUnit: cfg.timeUnit,
      duration: cfg.duration,
      preAllocatedVUs: cfg.preAllocatedVUs,
      maxVUs: cfg.maxVUs,
      gracefulStop: cfg.gracefulStop,
    },
  },
  thresholds: cfg.thresholds,
};

// A streamed answer counts as complete here when it ended with [DONE] and no in-band error; the
// driver's own classification (finish reason, token count, correctness) is stricter.
const complete = new Rate('halab_complete');
const ttft = new Trend('halab_ttft', true);

export default function () {
  const index = exec.scenario.iterationInTest;
  if (index >= requests.length) return;
  const req = requests[index];
  const body = {
    model: cfg.model,
    messages: req.messages,
    max_tokens: cfg.maxTokens,
    seed: req.seed,
    temperature: 0,
    stream: cfg.streaming,
  };
  if (cfg.streaming) body.stream_options = { include_usage: true };
  const headers = { 'content-type': 'application/json' };
  if (cfg.clientRegion) headers['x-halab-client-region'] = cfg.clientRegion;
  const startMs = Date.now();
  const res = http.post(`${cfg.entrypoint}/v1/chat/completions`, JSON.stringify(body), {
    headers,
    timeout: cfg.timeoutMs,
    responseType: 'text',
  });
  const endMs = Date.now();
  const text = typeof res.body === 'string' ? res.body : '';
  const firstByteMs = res.status > 0 ? endMs - res.timings.receiving : undefined;
  const ok = res.status === 200 && res.error_code === 0 && (!cfg.streaming || text.indexOf('data: [DONE]') >= 0) && text.indexOf('data: {"error"') < 0;
  complete.add(ok);
  if (res.status === 200 && firstByteMs !== undefined) ttft.add(firstByteMs - startMs);
  console.log(
    'HALAB_RECORD ' +
      JSON.stringify({
        index,
        startMs,
        firstByteMs,
        endMs,
        status: res.status,
        errorCode: res.error_code,
        error: res.error || undefined,
        replica: res.headers['X-Halab-Replica'],
        body: text,
      }),
  );
}

export function handleSummary(data) {
  const out = {};
  out[cfg.summaryFile] = JSON.stringify(data);
  return out;
}
