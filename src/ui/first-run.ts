// First run: what this is, example tasks, and the one-click replay demo (works without a GPU).
import { DEMOS } from '../app/index';
import { h } from './dom';

/** The example tasks: the demo model has a recording of each, so all of them run without a model. */
const EXAMPLE_TASKS = DEMOS.map((d) => d.task);

export interface FirstRunActions {
  runDemo(): void;
  useExample(task: string): void;
  openModelPanel(): void;
}

export function createFirstRun(actions: FirstRunActions): HTMLElement {
  return h(
    'section',
    { class: 'first-run', 'aria-labelledby': 'first-run-heading' },
    h('h2', { id: 'first-run-heading' }, 'An agent that thinks in Python, in your browser'),
    h(
      'p',
      {},
      'Give it a task. At each step the model thinks, writes a Python cell, and reads the output — the cell runs in Pyodide right here, in a Web Worker. It keeps a plan, facts and a draft in its notepad ',
      // The notepad is the right-hand column on wide screens and comes after the cells on a phone.
      h('span', { class: 'wide-only' }, '(right)'),
      h('span', { class: 'narrow-only' }, '(below)'),
      ', saved in this browser, and ends by submitting an answer.',
    ),
    h('div', { class: 'demo-cta' }, h('button', { type: 'button', class: 'primary big', onclick: () => actions.runDemo() }, '▶ Watch the demo'), h('span', { class: 'hint' }, 'A recorded model run, executed live in Python. No GPU or download needed.')),
    h('h3', {}, 'Or try a task'),
    h('p', { class: 'hint' }, 'The demo model has a recorded run of each; with your own model they are ordinary tasks.'),
    h('ul', { class: 'examples' }, EXAMPLE_TASKS.map((t) => h('li', {}, h('button', { type: 'button', class: 'example', onclick: () => actions.useExample(t) }, t)))),
    h('p', { class: 'hint' }, 'To run your own tasks, pick a model: one that runs on your GPU (WebGPU), or any OpenAI-compatible server. ', h('button', { type: 'button', class: 'link-button', onclick: () => actions.openModelPanel() }, 'Choose a model')),
  );
}
