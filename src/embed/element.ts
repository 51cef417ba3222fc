// <l0-agent>: the agent as a custom element. Attributes configure it (see options.ts); JS-only
// options (host search function, extra tools, callbacks) can be set on the `options` property
// before the element is connected. Events: l0-step, l0-answer, l0-error, l0-done.
import type { Trajectory } from '../protocols';
import { mount, type EmbeddedAgent } from './mount';
import { ELEMENT_ATTRIBUTES, optionsFromAttributes, type MountOptions } from './options';

export class L0AgentElement extends HTMLElement {
  static get observedAttributes(): readonly string[] {
    return ELEMENT_ATTRIBUTES;
  }

  /** Options merged over the attributes (set before connecting, or call `remount()`). */
  options: MountOptions = {};
  private agent?: EmbeddedAgent;
  private disposing?: Promise<void>;

  connectedCallback(): void {
    void this.start();
  }

  disconnectedCallback(): void {
    // Moving the element in the DOM disconnects and reconnects it: only dispose when it stays out.
    queueMicrotask(() => {
      if (!this.isConnected) void this.dispose();
    });
  }

  attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    if (!this.agent || old === value) return;
    // The theme and the task box change in place; anything else rebuilds the agent (workers included).
    if (name === 'theme') this.agent.setTheme(value === 'dark' || value === 'auto' ? value : 'light');
    else if (name === 'task') this.agent.setTask(value ?? '');
    else void this.remount();
  }

  private async start(): Promise<void> {
    if (this.agent) return;
    await this.disposing;
    if (this.agent || !this.isConnected) return;
    let attrs: MountOptions;
    try {
      attrs = optionsFromAttributes((n) => this.getAttribute(n));
    } catch (e) {
      const root = this.shadowRoot ?? this.attachShadow({ mode: 'open' });
      root.textContent = (e as Error).message;
      return;
    }
    this.agent = mount(this, { ...attrs, ...this.options });
  }

  /** Applies changed attributes/options: disposes the current agent (workers included) and mounts anew. */
  async remount(): Promise<void> {
    await this.dispose();
    await this.start();
  }

  run(task?: string): Promise<Trajectory> {
    if (!this.agent) return Promise.reject(new Error('<l0-agent> is not connected'));
    return this.agent.run(task);
  }

  /** Asks a follow-up question in the session shown (see EmbeddedAgent.ask). */
  ask(question: string, options?: { restoreCells?: boolean }): Promise<Trajectory> {
    if (!this.agent) return Promise.reject(new Error('<l0-agent> is not connected'));
    return this.agent.ask(question, options);
  }

  stop(): void {
    this.agent?.stop();
  }

  /** Deletes every run this widget saved (see EmbeddedAgent.clearHistory). */
  clearHistory(): Promise<void> {
    return this.agent ? this.agent.clearHistory() : Promise.resolve();
  }

  /** Terminates the workers and clears the widget; reconnecting mounts it again. */
  async dispose(): Promise<void> {
    const agent = this.agent;
    this.agent = undefined;
    if (agent) {
      this.disposing = agent.dispose();
      await this.disposing;
    }
  }

  get databaseName(): string | undefined {
    return this.agent?.databaseName;
  }
}

/** Defines the element (idempotent; several copies of the library on one page share the first definition). */
export function defineL0Agent(tagName = 'l0-agent'): void {
  if (!customElements.get(tagName)) customElements.define(tagName, class extends L0AgentElement {});
}

declare global {
  interface HTMLElementTagNameMap {
    'l0-agent': L0AgentElement;
  }
}
