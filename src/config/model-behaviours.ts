// What a model version does once loaded: the deployment vocabulary the stand-in replicas act out.
export type ModelBehaviour = 'ok' | 'crash-on-load' | 'slow' | 'corrupt' | 'error-rate';
export const MODEL_BEHAVIOURS: readonly ModelBehaviour[] = ['ok', 'crash-on-load', 'slow', 'corrupt', 'error-rate'];
