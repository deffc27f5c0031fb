/**
 * The readiness panel: is the organisation's configuration what Exchange Online needs to relay its
 * on-premises mail? Results of `GET /readiness` grouped by severity, each with its stable id, the
 * connectors/certificates/domains involved, the steps and the PowerShell with Copy buttons (the
 * drill-down's command blocks). Before any configuration was checked it says what to give, and
 * where: under config/ in the bucket (the cloud) or to relay-audit check (`serve`), as the API says.
 */
import { shortDay, shortTime } from './dates.js';
import { formatCount, h } from './dom.js';
import { commandBlock } from './drilldown.js';
import type {
  CheckTrigger,
  ConfigurationRoute,
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

/** The three files, with the command that exports each (`name`: in the bucket, `local`: for the check command). */
const CONFIG_FILES: readonly { name: string; local: string; what: string; command: string }[] = [
  {
    name: 'config/inbound-connectors.json',
    local: 'inbound-connectors.json',
    what: 'your Exchange Online inbound connectors (Exchange Online PowerShell):',
    command:
      'Get-InboundConnector | ConvertTo-Json -Depth 5 | Set-Content -Encoding UTF8 inbound-connectors.json',
  },
  {
    name: 'config/<server name>.pem',
    local: 'server.pem',
    what: 'the certificate your on-premises server presents to Exchange Online, as PEM followed by its intermediate CA certificates (never the private key).',
    command: '',
  },
  {
    name: 'config/accepted-domains.csv',
    local: 'accepted-domains.csv',
    what: 'your accepted domains:',
    command: 'Get-AcceptedDomain | Export-Csv -NoTypeInformation -Encoding UTF8 accepted-domains.csv',
  },
];

/** Said wherever the page says how to give configuration: the Sources page's upload is not the way. */
const NOT_THE_UPLOAD = "the Sources page's upload takes logs and exports, not configuration";

function plural(count: number, word: string): string {
  return `${formatCount(count)} ${word}${count === 1 ? '' : 's'}`;
}

/**
 * The check command on the store `relay-audit serve` shows, with its Copy button; first, when serve
 * holds the store (the embedded one), that it must be stopped for the command to open it.
 */
function checkCommand(route: { command: string; stopServer: boolean }): HTMLElement[] {
  const commands = h('ol', { class: 'commands' }, commandBlock(route.command, 0, 'the check'));
  if (!route.stopServer) return [commands];
  return [
    h(
      'p',
      { class: 'stop-server' },
      'Stop relay-audit serve first (Ctrl+C: it holds the store), run this, then start it again and reload this page:',
    ),
    commands,
  ];
}

/**
 * Before any configuration was checked: the three files and where they go — under config/ in the
 * bucket (the cloud), or into `relay-audit check --store` of the store this page shows (`serve`).
 */
function emptyState(route: ConfigurationRoute): HTMLElement {
  const inBucket = route.via === 'bucket';
  const files = h(
    'ul',
    { class: 'uploads' },
    CONFIG_FILES.map((file, index) =>
      h(
        'li',
        {},
        h('code', {}, inBucket ? file.name : file.local),
        ` — ${file.what}`,
        file.command === ''
          ? null
          : h('ol', { class: 'commands' }, commandBlock(file.command, 0, `file ${index + 1}`)),
      ),
    ),
  );
  const lead = inBucket
    ? `relay-audit checks it whenever a file is uploaded under ${route.prefix} in the stack's bucket ` +
      `(${NOT_THE_UPLOAD}), and again every night (certificates expire). Upload these three files:`
    : `Check it on the computer that runs relay-audit serve, into the store this dashboard shows ` +
      `(${NOT_THE_UPLOAD}). Export these three files:`;
  return h(
    'div',
    { class: 'panel readiness-empty' },
    h('p', {}, h('strong', {}, 'No configuration checked yet. '), lead),
    files,
    inBucket ? null : [h('h3', {}, 'Then check them'), ...checkCommand(route)],
  );
}

/** What the counts mean for relay (the API's message says the same after its own counts). */
function verdict(summary: ReadinessResponse['summary'], route: ConfigurationRoute): string {
  if (summary.error > 0) return 'Exchange Online will refuse relayed mail until the errors are fixed.';
  if (summary.warning > 0) return 'No errors; the warnings make relay fragile or refuse some mail.';
  if (summary.info > 0) {
    return route.via === 'bucket'
      ? `No problems in what was checked; upload the missing files under ${route.prefix} in the stack's ` +
          `bucket to check the rest (${NOT_THE_UPLOAD}).`
      : `No problems in what was checked; to check the rest, give the check the missing files too (${NOT_THE_UPLOAD}).`;
  }
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
    h('p', { class: 'readiness-verdict' }, verdict(summary, response.configure)),
    summary.error === 0 && summary.warning === 0 && summary.info > 0 && response.configure.via === 'command'
      ? checkCommand(response.configure)
      : null,
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
    container.replaceChildren(emptyState(response.configure));
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
