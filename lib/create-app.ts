/**
 * Builds the CDK app: the relay-audit stack from validated settings, checked by cdk-nag's
 * AwsSolutions pack on every synth (a violation that is not acknowledged with a reason in the
 * stack code fails the synth).
 */
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { RelayAuditStack } from './relay-audit-stack.js';
import { loadSettings } from './settings.js';

/** Construct id (and default CloudFormation stack name) of the stack. */
export const STACK_ID = 'RelayAudit';

export interface RelayAuditApp {
  app: App;
  stack: RelayAuditStack;
}

export interface CreateAppOptions extends AppProps {
  /** Run the AwsSolutions checks during synth (default true; tests run them explicitly instead). */
  readonly nag?: boolean;
}

/** Creates the app and its stack; `context` adds to (and overrides) the `cdk.json` context. */
export function createApp(options: CreateAppOptions = {}): RelayAuditApp {
  const { nag = true, ...props } = options;
  const app = new App(props);
  const settings = loadSettings(app.node);
  const stack = new RelayAuditStack(app, STACK_ID, { settings });
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
