/**
 * The drill-down dialog: a finding's evidence, where it came from (file, line, format) and the
 * tailored remediation with a Copy button per command. A modal `<dialog>`: focus moves
 * into it, Tab stays inside, Esc closes it and focus returns to the button that opened it.
 */
import { formatLabel } from '../../functions/core/analysis/formats/labels.js';
import { adviceFor } from '../../functions/core/analysis/remediation/forwarding-lead.js';
import { commandSections } from '../../functions/core/analysis/remediation/relay-software.js';
import { terminalSafe } from '../../functions/core/kernel/strings.js';
import { copyText } from './clipboard.js';
import { shortTime } from './dates.js';
import { h, logValue } from './dom.js';
import { envelopeSender } from './findings.js';
import { SCENARIO_DESCRIPTIONS, SHORT_NAMES } from './scenarios.js';
import type { Finding } from './types.js';

function row(term: string, value: string | undefined): HTMLElement[] {
  if (value === undefined || value === '') return [];
  return [h('dt', {}, term), h('dd', {}, logValue(value))];
}

/**
 * One command with its Copy button (also used by the readiness panel). `context` makes
 * the button's name unique on a page with several lists: `Copy command 1 of connector-ip-only`.
 * A name from a log in it (a mailbox, a connector) is shown with its hidden characters as escapes,
 * as the CLI prints it, but copied as it is: quoted (psQuote) it stays one literal argument, and
 * only the real name finds the object.
 */
export function commandBlock(command: string, index: number, context?: string): HTMLElement {
  const status = h('span', { class: 'copy-status small', attrs: { role: 'status' } });
  const code = h('code', {}, terminalSafe(command));
  const label = `Copy command ${index + 1}${context === undefined ? '' : ` of ${context}`}`;
  const button = h('button', { class: 'copy', attrs: { type: 'button', 'aria-label': label } }, 'Copy');
  button.addEventListener('click', async () => {
    const copied = await copyText(command);
    status.textContent = copied ? 'Copied.' : 'Copy failed: select the command and press Ctrl+C.';
    button.textContent = copied ? 'Copied' : 'Copy';
    if (!copied) {
      const range = document.createRange();
      range.selectNodeContents(code);
      window.getSelection()?.removeAllRanges();
      window.getSelection()?.addRange(range);
    }
    window.setTimeout(() => {
      button.textContent = 'Copy';
      status.textContent = '';
    }, 2500);
  });
  return h(
    'li',
    { class: 'command' },
    h('pre', {}, code),
    h('div', { class: 'command-actions' }, button, status),
  );
}

/** The dialog's content for `finding`: evidence first, then what to change, then the raw details. */
export function findingDetails(finding: Finding, close: () => void): HTMLElement[] {
  const r = adviceFor(finding);
  const source = finding.source;
  const header = h(
    'header',
    { class: 'dialog-header' },
    h(
      'div',
      {},
      h('p', { class: `chip chip-${finding.scenario}` }, SHORT_NAMES[finding.scenario]),
      h(
        'h2',
        { attrs: { id: 'dialog-title', tabindex: '-1' } },
        SCENARIO_DESCRIPTIONS[finding.scenario].title,
      ),
      h(
        'p',
        { class: 'muted small' },
        `${shortTime(finding.timestamp)} UTC · `,
        logValue(envelopeSender(finding)),
        ' → ',
        logValue(finding.recipient),
        ` · confidence ${finding.confidence}`,
      ),
    ),
    h('button', { class: 'close', attrs: { type: 'button' }, on: { click: close } }, 'Close'),
  );
  const evidence = h(
    'section',
    { attrs: { 'aria-labelledby': 'dlg-evidence' } },
    h('h3', { attrs: { id: 'dlg-evidence' } }, 'Evidence'),
    h(
      'ul',
      { class: 'evidence' },
      finding.evidence.map((item) =>
        h('li', {}, h('code', { class: 'kind' }, item.kind), ' ', logValue(item.detail)),
      ),
    ),
  );
  const remediation = h(
    'section',
    { class: 'remediation', attrs: { 'aria-labelledby': 'dlg-fix' } },
    h('h3', { attrs: { id: 'dlg-fix' } }, 'What to change'),
    // The advice names servers, domains and the forwarding mailbox as the log gave them.
    h('p', { class: 'remediation-title' }, h('strong', {}, terminalSafe(r.title))),
    h('p', {}, terminalSafe(r.explanation)),
    r.steps.length > 0
      ? h(
          'ol',
          { class: 'steps' },
          r.steps.map((step) => h('li', {}, terminalSafe(step))),
        )
      : null,
    // Each run of commands under its language (a relay's shell or configuration lines, PowerShell),
    // numbered on across the runs so each Copy button keeps its place among all the commands.
    commandSections(r.commands).flatMap((section) => [
      h('h4', {}, `${section.title} (${section.where})`),
      h(
        'ol',
        { class: 'commands', attrs: { start: section.first + 1 } },
        section.commands.map((command, index) => commandBlock(command, section.first + index)),
      ),
    ]),
    r.links.length > 0
      ? [
          h('h4', {}, 'Documentation'),
          h(
            'ul',
            { class: 'links' },
            r.links.map((link) =>
              h(
                'li',
                {},
                h(
                  'a',
                  { attrs: { href: link.url, target: '_blank', rel: 'noopener noreferrer' } },
                  link.title,
                ),
              ),
            ),
          ),
        ]
      : null,
  );
  const message = h(
    'section',
    { attrs: { 'aria-labelledby': 'dlg-message' } },
    h('h3', { attrs: { id: 'dlg-message' } }, 'The refused message'),
    h(
      'dl',
      { class: 'facts' },
      row('Envelope sender (P1)', envelopeSender(finding)),
      row('Header sender (P2)', finding.sender),
      row('Recipient', finding.recipient),
      row('Subject', finding.subject),
      row('Message-ID', finding.messageId),
      row('Rejection', finding.rejectionText),
      row('Server', finding.serverHostname),
      row('Client IP', finding.clientIp),
      row('Connector', finding.connectorId),
      row('Answered by', finding.remoteHost),
    ),
  );
  const origin = h(
    'section',
    { attrs: { 'aria-labelledby': 'dlg-source' } },
    h('h3', { attrs: { id: 'dlg-source' } }, 'Source line'),
    h(
      'p',
      { class: 'source-ref' },
      h('code', {}, `${terminalSafe(source.file)}:${source.line}`),
      ` (${formatLabel(source.format, 'name')})`,
    ),
  );
  return [header, evidence, remediation, message, origin];
}

/** Wires the page's `<dialog>`: open with a finding, close on Esc, the Close button or a backdrop click. */
export function createDrilldown(dialog: HTMLDialogElement, onClosed: () => void) {
  let opener: HTMLElement | null = null;
  const close = () => dialog.close();
  dialog.addEventListener('close', () => {
    dialog.replaceChildren();
    if (opener?.isConnected) opener.focus();
    opener = null;
    onClosed();
  });
  dialog.addEventListener('click', (event) => {
    // A click on the backdrop lands on the dialog element itself.
    if (event.target === dialog) close();
  });
  return {
    open(finding: Finding, from: HTMLElement | null): void {
      opener = from;
      dialog.replaceChildren(h('div', { class: 'dialog-body' }, findingDetails(finding, close)));
      if (!dialog.open) dialog.showModal();
      dialog.querySelector<HTMLElement>('#dialog-title')?.focus();
    },
    close,
    get isOpen(): boolean {
      return dialog.open;
    },
  };
}
