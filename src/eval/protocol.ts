/**
 * L0's evaluation protocol, as the defaults of `npm run eval` (sources: cmriat/l0 at commit
 * 3ad5028d42fadcf8639d3593752562fbc03b4461, Apache-2.0; docs/eval.md lists them):
 *
 * - The task text: `evaluation/nb_agent_eval/eval_datasets/<dataset>.py` builds each prompt in
 *   `build_batch` as `f"{entry.question}. {self._prompt}"` (HotpotQA, NQ, SimpleQA, GAIA) or
 *   `f"{entry.question} {self._prompt}"` (Bamboogle, MuSiQue, TriviaQA, 2Wiki), with the
 *   per-dataset default `_prompt` strings below, word for word.
 * - Budgets: `evaluation/nb_agent_eval/config/sampler_config_*.yaml`: `max_response_length: 3192`
 *   (one step), `max_tokens: 32000` (the notebook memory), `sampling_params.top_p: 0.9` (no
 *   temperature: the server's default), `task_run.max_steps: 10`, `evaluator.n_samples: 3`.
 * - A missing answer: `evaluator.py` records `str(pred)` for every sample, and the sampler's
 *   `final_answer` is `None` when nothing was submitted, so it is scored as the text "None".
 */

/** HotpotQA, NQ, SimpleQA (and GAIA): `_prompt` in hotpotqa.py, nq.py, simpleqa.py. */
const L0_SHORT_ANSWER = 'Answer the question in a word or a short phrase.';
/** MuSiQue, TriviaQA, 2WikiMultihopQA: `_prompt` in musique.py, triviaqa.py, wikimultihop.py (sic). */
const L0_MULTI_HOP = 'The question is a multi-hop question, you should it breakdown first and then solve it. Answer the question in a word or a short phrase.';
/** Bamboogle: `_prompt` in bamboogle.py. */
const L0_BAMBOOGLE = 'The question is multi-hop: break it down first, then solve it. Answer in a word or short phrase. If the answer is about time, use the format Month date, Year, e.g., January 1, 2023.';

interface L0Instruction {
  instruction: string;
  /** What joins the question and the instruction in L0's f-string. */
  join: '. ' | ' ';
  /** The file in cmriat/l0 it comes from. */
  source: string;
}

const FROM = 'evaluation/nb_agent_eval/eval_datasets/';
const L0_INSTRUCTIONS: Readonly<Record<string, L0Instruction>> = Object.freeze({
  hotpotqa: { instruction: L0_SHORT_ANSWER, join: '. ', source: `${FROM}hotpotqa.py` },
  nq: { instruction: L0_SHORT_ANSWER, join: '. ', source: `${FROM}nq.py` },
  simpleqa: { instruction: L0_SHORT_ANSWER, join: '. ', source: `${FROM}simpleqa.py` },
  bamboogle: { instruction: L0_BAMBOOGLE, join: ' ', source: `${FROM}bamboogle.py` },
  musique: { instruction: L0_MULTI_HOP, join: ' ', source: `${FROM}musique.py` },
  triviaqa: { instruction: L0_MULTI_HOP, join: ' ', source: `${FROM}triviaqa.py` },
  '2wikimultihopqa': { instruction: L0_MULTI_HOP, join: ' ', source: `${FROM}wikimultihop.py` },
});

/** Other spellings of the dataset names (L0's registry says '2wiki', its downloader 'hotpot_qa', ...). */
const ALIASES: Readonly<Record<string, string>> = {
  '2wiki': '2wikimultihopqa',
  '2wikimultihop': '2wikimultihopqa',
  wikimultihop: '2wikimultihopqa',
  wiki_multihop: '2wikimultihopqa',
  hotpot_qa: 'hotpotqa',
  natural_questions: 'nq',
  simple_qa: 'simpleqa',
  trivia_qa: 'triviaqa',
};

export function canonicalDataset(name: string): string {
  const n = name.trim().toLowerCase();
  return ALIASES[n] ?? n;
}

/**
 * The user message of an eval item, as L0 builds it. A dataset L0 does not have gets the
 * short-answer form, which is also what L0's direct-mode evaluator appends to every question.
 */
export function l0TaskText(question: string, dataset: string): string {
  const rule = L0_INSTRUCTIONS[canonicalDataset(dataset)] ?? { instruction: L0_SHORT_ANSWER, join: '. ' };
  return `${question}${rule.join}${rule.instruction}`;
}

/** The text a missing answer is scored as (Python's `str(None)`). */
export const L0_MISSING_ANSWER = 'None';

export const L0_EVAL_DEFAULTS = Object.freeze({
  /** `max_response_length`: tokens one step may generate. */
  maxTokensPerStep: 3192,
  /** `max_tokens`: the notebook memory budget (prompt tokens before history collapses). */
  memoryTokens: 32000,
  topP: 0.9,
  maxSteps: 10,
  samples: 3,
  /** The context window assumed when the server does not report one. */
  contextWindow: 32000,
});

/**
 * L0's budgets where the model's context allows them: a step gets 3,192 tokens (at most a quarter
 * of the window), the memory 32,000 tokens or what is left of the window after one step.
 * A 4,096-token browser model gets the agent's own defaults (1,024 / 3,072).
 */
export function l0Budgets(contextWindow: number): { maxTokensPerStep: number; memoryTokens: number } {
  const maxTokensPerStep = Math.min(L0_EVAL_DEFAULTS.maxTokensPerStep, Math.floor(contextWindow / 4));
  return { maxTokensPerStep, memoryTokens: Math.min(L0_EVAL_DEFAULTS.memoryTokens, contextWindow - maxTokensPerStep) };
}

/** The datasets of L0's QA suite, in the order the table prints them. */
export const L0_SUITE = ['simpleqa', 'hotpotqa', 'bamboogle', 'nq', 'triviaqa', '2wikimultihopqa', 'musique'] as const;

/** Where L0's local loaders (`source="local"`) read each dataset's evaluation split under a data folder. */
export const L0_LOCAL_FILES: Readonly<Record<string, string>> = Object.freeze({
  simpleqa: 'simpleqa/test.jsonl',
  hotpotqa: 'hotpotqa/validation.jsonl',
  bamboogle: 'bamboogle/test.jsonl',
  nq: 'nq/test.jsonl',
  triviaqa: 'triviaqa/dev.jsonl',
  '2wikimultihopqa': '2wikimultihopqa/dev.jsonl',
  musique: 'musique/validation.jsonl',
});
