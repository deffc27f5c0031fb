/**
 * A tiny element builder. Every piece of data reaches the page as a text node or an attribute
 * value, never as HTML, so a subject line or address from a log cannot inject markup.
 */
import { terminalSafe } from '../../functions/core/kernel/strings.js';

export type Child = Node | string | number | null | undefined | false;

export interface Props {
  /** `class` attribute. */
  class?: string;
  /** Other attributes, set with `setAttribute` (values are never parsed as HTML). */
  attrs?: Record<string, string | number | boolean | undefined>;
  /** Event listeners. */
  on?: { [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
}

/** Creates `<tag>` with `props` and children (strings become text nodes). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.class) element.className = props.class;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const [type, listener] of Object.entries(props.on ?? {})) {
    element.addEventListener(type, listener as EventListener);
  }
  append(element, ...children);
  return element;
}

/** Appends children, skipping empty ones; strings and numbers become text nodes. */
export function append(parent: Node, ...children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? text(child) : child);
  }
}

/** Replaces all children of `parent`. */
export function replace(parent: Node, ...children: (Child | Child[])[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, ...children);
}

/**
 * A value read from a log (an address, a subject, a server name) as the page shows it: its
 * invisible, bidirectional and control characters as the escapes the CLI prints (`\u200b`,
 * `\u202e`), so `finance@contoso\u200b.com` cannot pass for `finance@contoso.com`; and isolated
 * in a `<bdi>` (`unicode-bidi: isolate`), so right-to-left letters in it cannot reorder the text
 * around it (the arrow and the recipient after a sender, say).
 */
export function logValue(value: string): HTMLElement {
  return h('bdi', {}, terminalSafe(value));
}

export function text(value: string | number): Text {
  return document.createTextNode(String(value));
}

/** The element with `id`, which the page must have (a missing one is a bug in index.html). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`dashboard: #${id} is missing from index.html`);
  return element as T;
}

/** Formats a number for people (thousands separators). */
export function formatCount(value: number): string {
  return value.toLocaleString('en');
}
