/**
 * cdk-nag AwsSolutions checks as a test: zero unacknowledged errors or warnings, and every
 * acknowledgement in the stack carries a specific reason.
 *
 * cdk-nag 3 is a CDK validation plugin (`Validations.of(app).addPlugins(...)`, as `bin/app.ts`
 * does on every synth); here the pack walks the construct tree directly with `validateScope`.
 */
import { Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RelayAuditApp } from '../../lib/create-app.js';
import { buildApp } from './synth-app.js';

type Report = ReturnType<AwsSolutionsChecks['validateScope']>;

function describeViolations(report: Report, severity: string): string[] {
  return report.violations
    .filter((violation) => violation.severity === severity)
    .flatMap((violation) =>
      violation.violatingResources.map(
        (resource) => `${violation.ruleName} at ${resource.constructPath ?? '?'}: ${violation.description}`,
      ),
    );
}

function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason,
        })),
      ),
  );
}

describe.each([
  ['default settings', {}],
  ['every optional setting', { alertEmail: 'ops@contoso.com', acceptedDomains: 'contoso.com' }],
])('AwsSolutions checks with %s', (_name, context) => {
  let built: RelayAuditApp;
  let report: Report;

  beforeAll(() => {
    built = buildApp(context);
    // Synthesize first, as the CLI does, so every lazy resource (policies, notifications) exists.
    Template.fromStack(built.stack);
    report = new AwsSolutionsChecks().validateScope(built.app);
  });

  it('reports no unacknowledged error', () => {
    expect(describeViolations(report, 'error')).toEqual([]);
  });

  it('reports no unacknowledged warning', () => {
    expect(describeViolations(report, 'warning')).toEqual([]);
  });

  it('acknowledges findings only with a specific reason', () => {
    const acks = acknowledgements(built.app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id, ack.path).toMatch(/AwsSolutions-[A-Z0-9]+/);
      expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThanOrEqual(40);
    }
  });
});

describe('the app entry', () => {
  it('registers the AwsSolutions pack so `cdk synth` fails on a new finding', () => {
    const { app } = buildApp({}, true);
    expect(Validations.of(app).plugins.some((plugin) => plugin instanceof AwsSolutionsChecks)).toBe(true);
  });
});
