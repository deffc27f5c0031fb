/**
 * The readiness panel: is the organisation's configuration what Exchange Online needs to relay its
 * on-premises mail? Results of `GET /readiness` grouped by severity, each with its stable id, the
 * connectors/certificates/domains involved, the steps and the PowerShell with Copy buttons (the
 * drill-down's command blocks). Before any configuration was checked it says what to upload.
 */
import { shortDay, shortTime } from './dates.js';
import { formatCount, h } from './dom.js';
import { commandBlock } from './drilldown.js';
import type {
  CheckTrigger,
  ReadinessInputs,
  ReadinessResponse,
  ReadinessResult,
  ReadinessSeverity,
} from './types.js';

const SEVERITY_HEADINGS: Readonly<Record<ReadinessSeverity, string>> = {
  error: 'Errors: relay will be refused',
  warning: 'Warnings: fragile, or refused for some mail',
  info: 'Not checked',
};

const SEVERITY_LABELS: Readonly<Record<ReadinessSeverity, string>> = {
  error: 'Error',
  warning: 'Warning',
  info: 'Not checked',
};

const TRIGGERS: Readonly<Record<CheckTrigger, string>> = {
  upload: 'after an upload under config/',
  nightly: 'by the nightly re-check',
  cli: 'by relay-audit check --store',
};

/** What to upload, with the command that produces each file. */
const UPLOADS: readonly { file: string; what: string; command: string }[] = [
  {
    file: 'config/inbound-connectors.json',
    what: 'your Exchange Online inbound connectors (Exchange Online PowerShell):',
    command:
      'Get-InboundConnector | ConvertTo-Json -Depth 5 | Set-Content -Encoding UTF8 inbound-connectors.json',
  },
  {
    file: 'config/<server name>.pem',
    what: 'the certificate your on-premises server presents to Exchange Online, as PEM followed by its intermediate CA certificates (never the private key).',
    command: '',
  },
  {
    file: 'config/accepted-domains.csv',
    what: 'your accepted domains:',
    command: 'Get-AcceptedDomain | Export-Csv -NoTypeInformation -Encoding UTF8 accepted-domains.csv',
  },
];

function plural(count: number, word: string): string {
  return `${formatCount(count)} ${word}${count === 1 ? '' : 's'}`;
}

function emptyState(): HTMLElement {
  return h(
    'div',
    { class: 'panel readiness-empty' },
    h(
      'p',
      {},
      h('strong', {}, 'No configuration checked yet. '),
      'relay-audit checks it whenever a file is uploaded under config/ in the bucket, and again every night ' +
        '(certificates expire). Upload these three files:',
    ),
    h(
      'ul',
      { class: 'uploads' },
      UPLOADS.map((upload, index) =>
        h(
          'li',
          {},
          h('code', {}, upload.file),
          ` — ${upload.what}`,
          upload.command === ''
            ? null
            : h('ol', { class: 'commands' }, commandBlock(upload.command, 0, `upload ${index + 1}`)),
        ),
      ),
    ),
    h('h3', {}, 'On this computer'),
    h(
      'ol',
      { class: 'commands' },
      commandBlock(
        'relay-audit check --accepted-domains accepted-domains.csv --connectors inbound-connectors.json --certificate server.pem --store',
        0,
        'the local check',
      ),
    ),
  );
}

/** What the counts mean for relay (the API's message says the same after its own counts). */
function verdict(summary: ReadinessResponse['summary']): string {
  if (summary.error > 0) return 'Exchange Online will refuse relayed mail until the errors are fixed.';
  if (summary.warning > 0) return 'No errors; the warnings make relay fragile or refuse some mail.';
  if (summary.info > 0) return 'No problems in what was checked; upload the missing files to check the rest.';
  return 'Ready: the configuration meets what Exchange Online needs.';
}

function summaryLine(response: ReadinessResponse): HTMLElement {
  const { summary } = response;
  const when = response.checkedAt === null ? '' : `Checked ${shortTime(response.checkedAt)} UTC`;
  const how = response.configured ? ` ${TRIGGERS[response.trigger]}` : '';
  return h(
    'div',
    { class: `panel readiness-summary${summary.error > 0 ? ' has-errors' : ''}` },
    h(
      'p',
      { class: 'readiness-counts' },
      h('strong', {}, plural(summary.error, 'error')),
      ', ',
      plural(summary.warning, 'warning'),
      `, ${formatCount(summary.info)} not checked`,
    ),
    h('p', {}, verdict(summary)),
    when ? h('p', { class: 'muted small' }, `${when}${how}.`) : null,
  );
}

function inputList(inputs: ReadinessInputs): HTMLElement {
  const items: HTMLElement[] = [];
  items.push(
    h(
      'li',
      {},
      'Accepted domains: ',
      inputs.acceptedDomains === null
        ? 'none'
        : [
            inputs.acceptedDomains.domains.join(', '),
            ' ',
            h('span', { class: 'muted' }, `(${inputs.acceptedDomains.file})`),
          ],
    ),
  );
  items.push(
    h(
      'li',
      {},
      'Inbound connectors: ',
      inputs.connectors === null
        ? 'not given'
        : [
            inputs.connectors.names.length === 0
              ? 'none'
              : inputs.connectors.names.map((name) => `“${name}”`).join(', '),
            ' ',
            h('span', { class: 'muted' }, `(${inputs.connectors.file})`),
            inputs.connectors.relayConnector === null
              ? null
              : h(
                  'span',
                  { class: 'small' },
                  ` — findings name “${inputs.connectors.relayConnector}” as the connector your server relays through.`,
                ),
          ],
    ),
  );
  if (inputs.certificates.length === 0) items.push(h('li', {}, 'Certificates: not given'));
  for (const certificate of inputs.certificates) {
    items.push(
      h(
        'li',
        {},
        'Certificate: ',
        certificate.names.join(', ') || certificate.subject,
        ` — valid ${shortDay(certificate.notBefore.slice(0, 10), true)} to ${shortDay(certificate.notAfter.slice(0, 10), true)}, `,
        certificate.chain.length === 0 ? 'no chain' : `+${certificate.chain.length} chain`,
        ' ',
        h('span', { class: 'muted' }, `(${certificate.file})`),
      ),
    );
  }
  if (inputs.ignored.length > 0) {
    items.push(
      h(
        'li',
        { class: 'muted' },
        `Ignored (not configuration relay-audit knows): ${inputs.ignored.join(', ')}`,
      ),
    );
  }
  return h('ul', { class: 'readiness-inputs' }, items);
}

function resultItem(result: ReadinessResult): HTMLElement {
  const { steps, commands, links } = result.remediation;
  return h(
    'li',
    {
      class: `readiness-result severity-${result.severity}`,
      attrs: { 'data-id': result.id, 'data-severity': result.severity },
    },
    h(
      'p',
      { class: 'result-heading' },
      h('span', { class: `severity severity-${result.severity}` }, SEVERITY_LABELS[result.severity]),
      ' ',
      h('code', { class: 'result-id' }, result.id),
    ),
    h('p', { class: 'result-message' }, result.message),
    result.objects.length > 0
      ? h(
          'p',
          { class: 'result-objects small' },
          'Involves: ',
          result.objects.flatMap((object, index) => [index > 0 ? '; ' : '', h('code', {}, object)]),
        )
      : null,
    steps.length > 0
      ? h(
          'ol',
          { class: 'steps' },
          steps.map((step) => h('li', {}, step)),
        )
      : null,
    commands.length > 0
      ? h(
          'ol',
          { class: 'commands' },
          commands.map((command, index) => commandBlock(command, index, result.id)),
        )
      : null,
    links.length > 0
      ? h(
          'ul',
          { class: 'links small' },
          links.map((link) =>
            h(
              'li',
              {},
              h('a', { attrs: { href: link.url, target: '_blank', rel: 'noopener noreferrer' } }, link.title),
            ),
          ),
        )
      : null,
  );
}

function severityGroup(severity: ReadinessSeverity, results: ReadinessResult[]): HTMLElement | null {
  if (results.length === 0) return null;
  const list = h('ol', { class: 'readiness-results' }, results.map(resultItem));
  const heading = `${SEVERITY_HEADINGS[severity]} (${formatCount(results.length)})`;
  // "Not checked" is advice on what else to give: folded away unless it is all there is.
  if (severity === 'info') {
    return h(
      'details',
      { class: 'readiness-group', attrs: { 'data-severity': severity } },
      h('summary', {}, heading),
      list,
    );
  }
  return h(
    'div',
    { class: 'readiness-group', attrs: { 'data-severity': severity } },
    h('h3', {}, heading),
    list,
  );
}

/** Renders `response` into `container`. */
export function renderReadiness(container: HTMLElement, response: ReadinessResponse): void {
  if (!response.configured) {
    container.replaceChildren(emptyState());
    return;
  }
  const bySeverity = (severity: ReadinessSeverity) => response.results.filter((r) => r.severity === severity);
  container.replaceChildren(
    summaryLine(response),
    response.inputs === null ? h('div') : inputList(response.inputs),
    severityGroup('error', bySeverity('error')) ?? h('div'),
    severityGroup('warning', bySeverity('warning')) ?? h('div'),
    severityGroup('info', bySeverity('info')) ?? h('div'),
    response.passed.length > 0
      ? h('p', { class: 'muted small readiness-passed' }, `Passed: ${response.passed.join(', ')}`)
      : h('div'),
  );
}
