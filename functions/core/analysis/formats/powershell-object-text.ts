/**
 * The text PowerShell writes for an object where a value was expected, `@{Date=…; Event=Fail;
 * Detail=Reason: [{LED=550 5.7.64 …}]…}`: a message trace detail nested in a trace record, past
 * `ConvertTo-Json -Depth` (message-trace-json.ts), or in a cell of
 * `Select-Object *, @{n='Details'; e={Get-MessageTraceDetail…}} | Export-Csv` (message-trace.ts).
 * Both read it here, the same way, with PowerShell's names (`Date`, `Detail`) or Microsoft Graph's
 * (`dateTime`, `description`: an `exchangeMessageTraceDetail` fetched with `Invoke-RestMethod`).
 */

/**
 * True for the fields (keys as {@link traceFieldName} gives them) of a message trace detail record:
 * an event and what describes it.
 */
export function isTraceDetail(fields: Record<string, unknown>): boolean {
  return 'event' in fields && ('detail' in fields || 'action' in fields || 'data' in fields);
}

/** Graph's names of trace and detail properties (lower-cased) → PowerShell's, which the readers use. */
const GRAPH_NAMES: Readonly<Record<string, string>> = {
  receiveddatetime: 'received',
  datetime: 'date',
  description: 'detail',
};

/** A trace or detail property's name as the readers use it: lower-cased, Graph's mapped to PowerShell's. */
export function traceFieldName(name: string): string {
  const lower = name.toLowerCase();
  return GRAPH_NAMES[lower] ?? lower;
}

/**
 * Property names of a detail record, as PowerShell writes them in `@{Name=value; …}` text (any case:
 * Graph's are camelCase, `event=`), and the ones a remote session (Exchange Online PowerShell) adds
 * to every object, first.
 */
const OBJECT_TEXT_KEYS =
  /(?:^@\{|; )(Date|DateTime|Event|Action|Detail|Description|Data|Id|MessageId|MessageTraceId|RecipientAddress|SenderAddress|FromIP|ToIP|Organization|StartDate|EndDate|Index|PSComputerName|RunspaceId|PSShowComputerName|PSSourceJobInstanceId)=/gi;

/** `@{Name=`: how PowerShell's text of an object begins, whatever its first property. */
const OBJECT_TEXT_START = /^@\{[A-Za-z_][\w.-]*=/;

/**
 * The properties of an object PowerShell wrote as text (`@{Date=…; Event=Fail; Detail=…}`), named
 * by {@link traceFieldName}, as written (`Action=` is `''`); `undefined` when `text` is not such a
 * text. Only a detail's property names split it, so a `; ` inside a value (the refusal text has
 * them) stays in the value. The first property need not be a known one (a session or a
 * `Select-Object` may add its own first): the text must only read as `@{Name=…}` and hold a known
 * name; what comes before the first known name is left out.
 */
function powerShellObjectText(text: string): Record<string, string> | undefined {
  if (!OBJECT_TEXT_START.test(text) || !text.endsWith('}')) return undefined;
  const body = text.slice(0, -1);
  const starts = [...body.matchAll(OBJECT_TEXT_KEYS)];
  if (starts.length === 0) return undefined;
  const fields: Record<string, string> = {};
  starts.forEach((match, i) => {
    const from = (match.index ?? 0) + match[0].length;
    const to = starts[i + 1]?.index ?? body.length;
    fields[traceFieldName(match[1] ?? '')] = body.slice(from, to);
  });
  return fields;
}

/** The fields of the detail record `text` is PowerShell's text of; `undefined` for any other text. */
export function traceDetailText(text: string): Record<string, string> | undefined {
  const fields = powerShellObjectText(text);
  return fields !== undefined && isTraceDetail(fields) ? fields : undefined;
}
