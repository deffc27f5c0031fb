/** The registry of inputs that are not CSV-like, in the order they are tried and listed to users. */
import { iisSmtpLog } from './iis-smtp-log.js';
import { messageTraceJson } from './message-trace-json.js';
import { eximLog, postfixLog, sendmailLog } from './mta-log.js';
import type { TextFormat } from './text-format.js';

export const TEXT_FORMATS: readonly TextFormat[] = [
  messageTraceJson,
  iisSmtpLog,
  postfixLog,
  sendmailLog,
  eximLog,
];

export type { TextFormat } from './text-format.js';
