// WebLLM's engine runs here, in its own module worker, so model loading and generation never block
// the page. The page talks to it through WebLLM's own WebWorkerMLCEngine protocol.
import { WebWorkerMLCEngineHandler } from '@mlc-ai/web-llm';

const handler = new WebWorkerMLCEngineHandler();
self.onmessage = (msg: MessageEvent) => {
  handler.onmessage(msg);
};
