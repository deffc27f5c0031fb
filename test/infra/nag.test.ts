/**
 * cdk-nag AwsSolutions checks as a test: zero unacknowledged errors or warnings, and every
 * acknowledgement in the stack carries a specific reason.
 *
 * cdk-nag 3 is a CDK validation plugin (`Validations.of(app).addPlugins(...)`, as `bin/app.ts`
 * does on every synth); here the pack walks the construct tree directly with `validateScope`.
 */
import { Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
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
    // Synthesize with the pack registered, as `npx cdk synth` does: an unacknowledged error throws here.
    built = buildApp(context, true);
    built.app.synth();
    // Then walk the (now complete) construct tree directly to see warnings too.
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

describe('the app', () => {
  it('fails the synth on a new, unacknowledged finding', () => {
    // Prepare: a queue with neither TLS enforcement nor a DLQ.
    const { app, stack } = buildApp({}, true);
    new Queue(stack, 'Unchecked');
    // Act + Assess
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });
});
