/**
 * The event of a message trace detail as relay-audit's evidence knows it. Exchange Online names detail
 * events in the language of the admin's session; scripts published for German tenants filter on
 * `Empfangen` (Receive), `Übermitteln` (Submit), `Zustellen` (Deliver), `Extern senden` (Send
 * external) and `Transportregel` (Transport rule). Receipts and deliveries are evidence (of
 * forwarding, of the recipient's own domain), so their names are read in those languages too. A
 * failure needs no name: its relay refusal makes it one (trace-failures.ts `endsDelivery`).
 */
const LOCALIZED_EVENTS: ReadonlyMap<string, string> = new Map([
  ['EMPFANGEN', 'RECEIVE'],
  ['ÜBERMITTELN', 'SUBMIT'],
  ['ZUSTELLEN', 'DELIVER'],
  ['EXTERN SENDEN', 'SEND EXTERNAL'],
  ['TRANSPORTREGEL', 'TRANSPORT RULE'],
]);

/** `name` upper-cased, in English when it is a localized name of a known event. */
export function traceEventId(name: string): string {
  const upper = name.toUpperCase();
  return LOCALIZED_EVENTS.get(upper) ?? upper;
}
