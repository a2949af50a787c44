// Validates an OpenAI chat-completions request at an HTTP edge (gateway or replica); a bad field
// gets a 400 naming it, and nothing is processed.
import { z } from 'zod';

const messageSchema = z.looseObject({
  role: z.enum(['system', 'user', 'assistant', 'tool', 'developer']),
  content: z.string(),
});

export const chatRequestSchema = z.looseObject({
  model: z.string().min(1).optional(),
  messages: z.array(messageSchema).min(1, 'must contain at least one message'),
  stream: z.boolean().optional(),
  max_tokens: z.number().int('must be an integer').positive('must be a positive integer').max(32_768).optional(),
  max_completion_tokens: z.number().int('must be an integer').positive('must be a positive integer').max(32_768).optional(),
  seed: z.number().int('must be an integer').optional(),
  temperature: z.number().min(0).max(2).optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  /** vLLM's assistant-prefill continuation: continue the last (assistant) message. */
  continue_final_message: z.boolean().optional(),
  add_generation_prompt: z.boolean().optional(),
  /** OpenAI stored completions: keep the answer, readable by GET /v1/chat/completions/{id}. */
  store: z.boolean().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});

export type ChatRequest = z.infer<typeof chatRequestSchema>;

export interface ValidationFailure {
  readonly message: string;
  readonly param: string | null;
}

/** Parses a raw body: the request, or what is wrong with it and where. */
export function validateChatRequest(raw: string): { ok: true; request: ChatRequest } | { ok: false; error: ValidationFailure } {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (err) {
    return { ok: false, error: { message: `request body is not valid JSON: ${(err as Error).message}`, param: null } };
  }
  const result = chatRequestSchema.safeParse(body);
  if (result.success) return { ok: true, request: result.data };
  const issue = result.error.issues[0]!;
  const param = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  return { ok: false, error: { message: `${param || 'body'}: ${issue.message}`, param: param || null } };
}
