/**
 * What each command accepts, as data: the general usage, `relay-audit help <command>` and each
 * command's `parseArgs` options all come from here (see `bin/support/command.ts`). No imports
 * beyond constants, so printing help loads nothing else.
 */
import { SCENARIO_ID_LIST } from '../../functions/core/analysis/model/scenario-ids.js';
import { DEFAULT_LOOK_BACK_DAYS, MAX_LOOK_BACK_DAYS } from '../../functions/nightly/look-back.js';
import { DEFAULT_STACK_NAME } from '../../functions/runtime/stack-outputs.js';
import type { CommandDefinition, OptionDefinition } from '../support/command.js';

/** `upload --watch`: seconds between looks at the folders. */
export const DEFAULT_WATCH_SECONDS = 60;
/** `upload`: seconds to wait for the stack to analyse the uploads. */
export const DEFAULT_WAIT_SECONDS = 900;

/** The store options every command that reads or writes findings takes. */
const STORE = {
  db: { type: 'string', value: '<dir>', help: 'embedded store directory (default .relay-audit)' },
  table: { type: 'string', value: '<name>', help: 'use a DynamoDB table instead (AWS credential chain)' },
  stack: {
    type: 'string',
    value: '<name>',
    help: 'use the table of this deployed stack (e.g. RelayAudit), from its outputs',
  },
  endpoint: { type: 'string', value: '<url>', help: 'DynamoDB endpoint for --table' },
  region: { type: 'string', value: '<region>', help: 'AWS region for --table or --stack' },
} as const satisfies Record<string, OptionDefinition>;

/** `--stack` and `--region` of a command that talks to a deployed stack, whose outputs name `what`. */
function deployedStack(what: string) {
  return {
    stack: {
      type: 'string',
      value: '<name>',
      help: `the deployed stack (default ${DEFAULT_STACK_NAME}); its outputs name ${what}`,
    },
    region: {
      type: 'string',
      value: '<region>',
      help: "the stack's region (default: AWS_REGION, the profile)",
    },
  } as const satisfies Record<string, OptionDefinition>;
}

const ACCEPTED_DOMAINS_HELP = 'comma list, Get-AcceptedDomain CSV export, or one domain per line';

/** The forms every time flag takes (one parser: functions/core/kernel/iso-time.ts), as examples. */
export const TIME_EXAMPLES_HELP = 'e.g. 2026-11-28, 2026-11-28T22:00, 2026-11-28T23:00+01:00 (no zone: UTC)';

export const ANALYZE = {
  name: 'analyze',
  aliases: ['analyse'],
  positionals: 'a file or directory',
  synopsis:
    '<file|dir>... [--accepted-domains <list|file>] [--connectors <json>] [--db DIR] [--json] [--no-store]',
  usage: '<file|dir>... [options]',
  description: `Analyses message tracking logs, Exchange SMTP send protocol logs, message trace exports, mail logs
of relays that are not Exchange and message traces as JSON (plain or gzip-compressed), classifies every
relay refusal (550 5.7.64 TenantAttribution, 451 4.4.62 ATTR35) and stores the findings. A refusal in
both a tracking log and a protocol log is one finding.

Inputs (told apart by their header or first lines):
  Exchange Server message tracking logs (MSGTRK*.LOG); Get-MessageTrackingLog | Export-Csv;
  Exchange SMTP send protocol logs (ProtocolLog\\SmtpSend\\SEND*.LOG, Hub or FrontEnd: the
  certificate the server presented);
  Get-MessageTrace[V2] and Get-MessageTraceDetail[V2] | Export-Csv; historical search reports;
  Postfix mail logs (/var/log/mail.log, maillog; syslog or ISO 8601 dates, journalctl output);
  sendmail and Exim logs (maillog, Exim main.log); IIS 6 SMTP service W3C logs of Windows relays;
  message traces as JSON: Microsoft Graph messageTraces / getDetailsByRecipient pages,
  Get-MessageTrace[Detail][V2] | ConvertTo-Json, Reporting Web Service JSON, NDJSON.

In a directory, files that are not logs or exports (notes, scripts, .xml, .md) are listed, not
analysed.`,
  options: {
    'accepted-domains': { type: 'string', value: '<list|file>', help: ACCEPTED_DOMAINS_HELP },
    connectors: {
      type: 'string',
      value: '<file>',
      help: 'Get-InboundConnector | ConvertTo-Json -Depth 5 output: each finding names the\nOnPremises connector to keep, enable or change, and the command to fix it',
    },
    ...STORE,
    json: { type: 'boolean', help: 'print a machine-readable summary instead of the report' },
    'no-store': { type: 'boolean', help: 'do not store; print findings as NDJSON on stdout' },
    window: {
      type: 'string',
      value: '<events>',
      help: 'how many events a refusal waits for correlating evidence (default 20000)',
    },
    year: {
      type: 'string',
      value: '<yyyy>',
      help: "the year of syslog dates, which have none (default: each file's modification\ntime; a date after it is read in the year before)",
    },
  },
  footer:
    'Exit status: 0 every file analysed, 1 a file failed analysis (unreadable, unknown format, every row\n' +
    'skipped) or a file that may hold refusals was not read, 2 usage error (also a missing input file, or\n' +
    'a folder with no logs or exports, or with --table or --stack no AWS region or usable credentials),\n' +
    '130 interrupted (Ctrl+C).',
} as const satisfies CommandDefinition;

export const FINDINGS = {
  name: 'findings',
  // `findings ndr`, `findings contoso.com`: the filter without its option.
  strayArgumentOption: (stray: string) =>
    (SCENARIO_ID_LIST as readonly string[]).includes(stray)
      ? 'scenario'
      : /^[^\s@]+\.[^\s@]+$/.test(stray)
        ? 'sender-domain'
        : undefined,
  synopsis:
    '[--scenario S] [--sender-domain D] [--recipient-domain D] [--since T] [--until T] [--limit N] [--format table|json|ndjson|csv]',
  usage: '[options]',
  description: 'Lists stored findings, newest first.',
  options: {
    scenario: {
      type: 'string',
      value: '<id>',
      help: SCENARIO_ID_LIST.join(' | '),
    },
    'sender-domain': {
      type: 'string',
      value: '<domain>',
      help: 'only findings attributed to this sender domain',
    },
    'recipient-domain': {
      type: 'string',
      value: '<domain>',
      help: 'only findings for this recipient domain',
    },
    since: {
      type: 'string',
      value: '<time>',
      help: `from this time on (a date: from 00:00 UTC);\n${TIME_EXAMPLES_HELP}`,
    },
    until: {
      type: 'string',
      value: '<time>',
      help: 'up to this time, inclusive (a date: its whole UTC day)',
    },
    limit: { type: 'string', value: '<n>', help: 'at most n findings (default: all)' },
    format: { type: 'string', value: '<format>', help: 'table (default) | json | ndjson | csv' },
    ...STORE,
  },
} as const satisfies CommandDefinition;

export const CHECK = {
  name: 'check',
  synopsis:
    '--accepted-domains <list|file> [--connectors <json>] [--certificate <pem>]... [--at T] [--json] [--store]',
  usage: '--accepted-domains <list|file> [options]',
  description: `Checks the configuration Exchange Online needs to relay your on-premises mail: an enabled
certificate-based OnPremises inbound connector whose certificate domain is an accepted domain
(*.contoso.com), and a valid server certificate with the full chain whose names match it.`,
  options: {
    'accepted-domains': { type: 'string', value: '<list|file>', help: `${ACCEPTED_DOMAINS_HELP} (required)` },
    connectors: { type: 'string', value: '<file>', help: 'Get-InboundConnector | ConvertTo-Json output' },
    certificate: {
      type: 'string',
      multiple: true,
      value: '<file>',
      help: "the server's certificate as PEM, followed by its chain (repeatable)",
    },
    at: {
      type: 'string',
      value: '<time>',
      help: `judge certificate validity at this time (default: now; a date: 00:00 UTC);\n${TIME_EXAMPLES_HELP}`,
    },
    json: { type: 'boolean', help: 'print the results as JSON' },
    store: {
      type: 'boolean',
      help: 'also store the configuration and results, for the dashboard (relay-audit serve)',
    },
    db: { ...STORE.db, help: `with --store: ${STORE.db.help}` },
    table: { ...STORE.table, help: 'with --store: a DynamoDB table instead (AWS credential chain)' },
    stack: { ...STORE.stack, help: `with --store: ${STORE.stack.help}` },
    endpoint: {
      ...STORE.endpoint,
      help: `with --store and --table or --stack: ${STORE.endpoint.help.replace(' for --table', '')}`,
    },
    region: {
      ...STORE.region,
      help: `with --store and --table or --stack: ${STORE.region.help.replace(' for --table or --stack', '')}`,
    },
  },
  footer:
    'Exit status: 0 no errors, 1 at least one error, 2 usage error or unreadable input file (with --store\n' +
    'and --table or --stack, also no AWS region or usable credentials).',
} as const satisfies CommandDefinition;

export const REPORT = {
  name: 'report',
  synopsis: '[--date YYYY-MM-DD] [--look-back N] [--out DIR] [--db DIR] [--json]',
  usage: '[options]',
  description: `Runs the nightly analysis for one UTC day against the store and writes the report:
reclassifies foreign-sender-domain findings proven to be forwarding by another upload,
writes the daily rollups, compares the day with the days before (spikes, sender domains
first seen in 30 days) and writes YYYY-MM-DD.json and YYYY-MM-DD.md.`,
  options: {
    date: { type: 'string', value: '<YYYY-MM-DD>', help: 'the day to report on (default: yesterday, UTC)' },
    'look-back': {
      type: 'string',
      value: '<n>',
      help: `days before --date recomputed too, for late uploads (default ${DEFAULT_LOOK_BACK_DAYS}, at most ${MAX_LOOK_BACK_DAYS})`,
    },
    out: {
      type: 'string',
      value: '<dir>',
      help: 'where the report files go (default: <db>/reports, i.e. .relay-audit/reports)',
    },
    json: { type: 'boolean', help: 'print the JSON report and what the run did instead of the Markdown' },
    ...STORE,
  },
} as const satisfies CommandDefinition;

export const SERVE = {
  name: 'serve',
  synopsis: '[--db DIR] [--port 8787] [--host 127.0.0.1]',
  usage: '[options]',
  description: 'Serves the dashboard and the query API (under /api) on a local web server until Ctrl+C.',
  options: {
    port: { type: 'string', value: '<n>', help: 'port to listen on (default 8787; 0 picks a free one)' },
    host: {
      type: 'string',
      value: '<address>',
      help: 'address to bind (default 127.0.0.1, this machine only; the API has no sign-in)',
    },
    ...STORE,
  },
  footer: 'Build the dashboard first when running from a source checkout: npm run build:dashboard',
} as const satisfies CommandDefinition;

export const UPLOAD = {
  name: 'upload',
  positionals: 'a file or directory',
  synopsis: '<file|dir>... [--stack NAME] [--watch]',
  usage: '<file|dir>... [options]',
  description: `Uploads logs and exports to a deployed stack (its bucket's incoming/, gzip-compressed on the way),
waits until the stack has analysed each file and prints the same report as analyze, from the
stack's store. A file already uploaded unchanged is not sent again; a log that grew since (Exchange
appends to the current tracking log) is. With --watch, keeps uploading what changes in the folders
until Ctrl+C (e.g. a scheduled task on an Exchange server, on its MessageTracking folder).
Ctrl+C during an upload aborts it: nothing of that file is stored or analysed.`,
  options: {
    ...deployedStack('the bucket and table'),
    watch: { type: 'boolean', help: 'keep uploading new and grown files until Ctrl+C' },
    interval: {
      type: 'string',
      value: '<seconds>',
      help: `with --watch: how often the folders are looked at (default ${DEFAULT_WATCH_SECONDS})`,
    },
    'no-wait': { type: 'boolean', help: 'do not wait for the analysis; print the uploaded keys' },
    timeout: {
      type: 'string',
      value: '<seconds>',
      help: `how long to wait for the analysis (default ${DEFAULT_WAIT_SECONDS})`,
    },
  },
  footer:
    'Exit status: 0 every file analysed, 1 a file failed analysis or was not analysed in time, 2 usage\n' +
    'error or no AWS region or usable credentials (it says how to sign in), 130 interrupted (Ctrl+C).',
} as const satisfies CommandDefinition;

/** `reanalyze`: seconds between looks at the run's progress. */
export const DEFAULT_PROGRESS_SECONDS = 10;

export const REANALYZE = {
  name: 'reanalyze',
  aliases: ['reanalyse'],
  strayArgumentOption: 'prefix',
  synopsis: '[--prefix P] [--from DATE] [--to DATE] [--stack NAME] [--no-wait]',
  usage: '[options]',
  description: `Re-analyses the uploads a deployed stack keeps under incoming/ with its current classifier (after
an upgrade that changed it): starts the stack's re-analysis state machine and shows its progress
until it ends. An upload an older classifier version analysed is analysed again: its findings are
replaced under the same ids, and those the current version no longer finds are removed (the
day counters follow). Uploads the current version analysed already are skipped, so a second run
costs only the listing.`,
  options: {
    prefix: {
      type: 'string',
      value: '<prefix>',
      help: 'only the uploads under incoming/<prefix>, e.g. cli/EX01/ (default: all of incoming/)',
    },
    from: {
      type: 'string',
      value: '<time>',
      help: `only uploads made at or after this time (a date: from 00:00 UTC);\n${TIME_EXAMPLES_HELP}`,
    },
    to: {
      type: 'string',
      value: '<time>',
      help: 'only uploads made at or before this time (a date: its whole UTC day)',
    },
    ...deployedStack('the state machine'),
    'no-wait': { type: 'boolean', help: 'start the run and print its execution ARN, without waiting' },
    interval: {
      type: 'string',
      value: '<seconds>',
      help: `how often the progress is looked at (default ${DEFAULT_PROGRESS_SECONDS})`,
    },
  },
  footer:
    'Exit status: 0 the run succeeded and no upload failed, 1 it failed or some uploads failed, 2 usage error\n' +
    'or no AWS region or usable credentials (it says how to sign in). Ctrl+C stops watching; the run goes on\n' +
    'in the stack.',
} as const satisfies CommandDefinition;

/** Every command, in the order the general usage lists them. */
export const COMMAND_DEFINITIONS = [ANALYZE, FINDINGS, CHECK, REPORT, SERVE, UPLOAD, REANALYZE] as const;
