// The connection test of an OpenAI-compatible endpoint before it is taken: its model list
// (GET /models). Pure over the listing function, so the controller and its tests share it.
import { toErrorData } from '../protocols';
import type { EngineChoice } from '../llm/engine-spec';
import { explainEngineError } from './labels';
import type { AppServices, EngineStatus } from './types';

/** The choice to take, or what the model panel shows instead (why not, or the models to pick from). */
export type EndpointTest = { take: EngineChoice } | { status: EngineStatus };

/**
 * Tests an endpoint: one that cannot be listed (CORS, nothing answering, a 401) is not taken; one
 * that does not list the model asked for (or none was asked for) offers its models; a server
 * without a model list (404) is taken as it is, when a model name was given.
 */
export async function testEndpoint(choice: Extract<EngineChoice, { kind: 'openai' }>, list: NonNullable<AppServices['listEndpointModels']>): Promise<EndpointTest> {
  let models: string[] = [];
  try {
    models = await list({ baseUrl: choice.baseUrl, apiKey: choice.apiKey });
  } catch (e) {
    const err = explainEngineError(toErrorData(e), choice);
    if (!(err.kind === 'http' && (err.detail as { status?: unknown } | undefined)?.status === 404)) return { status: { error: `${err.kind}: ${err.message}` } };
  }
  const model = choice.model.trim();
  if (!model && models.length === 1) return { take: { ...choice, model: models[0]! } };
  if (models.length && !models.includes(model)) return { status: { endpointModels: { baseUrl: choice.baseUrl, models, ...(model && { requested: model }) } } };
  if (!model) return { status: { error: 'internal: This server does not list its models: enter the model name.' } };
  return { take: { ...choice, model } };
}
