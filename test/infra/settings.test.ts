/** Settings from CDK context: defaults, coercion of `-c key=value` strings, and clear errors. */
import { describe, expect, it } from 'vitest';
import { dashboardAuthOf, loadSettings, parseSettings, SettingsError } from '../../lib/settings.js';

describe('parseSettings', () => {
  it('applies the documented defaults', () => {
    expect(parseSettings({})).toEqual({
      retentionDays: 90,
      historyRetentionDays: 365,
      incomingRetentionDays: 90,
      incomingInfrequentAccessDays: 30,
      nightlySchedule: 'cron(0 2 * * ? *)',
      ingestMaxConcurrency: 10,
      graphTraceSchedule: 'rate(1 hour)',
      ingestMaxQueueAgeMinutes: 15,
      reanalysisMaxConcurrency: 10,
      reanalysisToleratedFailurePercent: 5,
    });
  });

  it('accepts values as `-c key=value` strings and normalises lists', () => {
    // Act
    const settings = parseSettings({
      retentionDays: '60',
      historyRetentionDays: '730',
      incomingRetentionDays: '120',
      incomingInfrequentAccessDays: '45',
      reanalysisMaxConcurrency: '4',
      reanalysisToleratedFailurePercent: '0',
      nightlySchedule: 'cron(30 3 * * ? *)',
      acceptedDomains: ' contoso.com, *.fabrikam.com ',
      alertEmail: 'ops@contoso.com',
      jwtIssuer: 'https://login.microsoftonline.com/tenant-id/v2.0',
      jwtAudience: 'api://relay-audit, api://relay-audit-dev',
      dashboardOrigin: 'https://audit.contoso.com/',
      ingestMaxConcurrency: '25',
      ingestMaxQueueAgeMinutes: '30',
    });
    // Assess
    expect(settings).toEqual({
      retentionDays: 60,
      historyRetentionDays: 730,
      incomingRetentionDays: 120,
      incomingInfrequentAccessDays: 45,
      reanalysisMaxConcurrency: 4,
      reanalysisToleratedFailurePercent: 0,
      nightlySchedule: 'cron(30 3 * * ? *)',
      acceptedDomains: 'contoso.com,*.fabrikam.com',
      alertEmail: 'ops@contoso.com',
      jwtIssuer: 'https://login.microsoftonline.com/tenant-id/v2.0',
      jwtAudience: ['api://relay-audit', 'api://relay-audit-dev'],
      dashboardOrigin: 'https://audit.contoso.com',
      ingestMaxConcurrency: 25,
      graphTraceSchedule: 'rate(1 hour)',
      ingestMaxQueueAgeMinutes: 30,
    });
  });

  it('treats an empty value as not set', () => {
    expect(parseSettings({ alertEmail: '', acceptedDomains: ' ' })).not.toHaveProperty('alertEmail', '');
    expect(parseSettings({ alertEmail: '' }).alertEmail).toBeUndefined();
  });

  it.each([
    [{ retentionDays: '0' }, /retentionDays/],
    [{ ingestMaxConcurrency: '1' }, /ingestMaxConcurrency/],
    [{ graphClientId: 'not-a-guid' }, /graphClientId: must be the application \(client\) id/],
    [{ graphTraceSchedule: 'hourly' }, /graphTraceSchedule: must be an EventBridge schedule/],
    [{ ingestMaxQueueAgeMinutes: '0' }, /ingestMaxQueueAgeMinutes/],
    [
      { retentionDays: '90', incomingRetentionDays: '30' },
      /incomingRetentionDays: must be at least retentionDays/,
    ],
    [{ incomingInfrequentAccessDays: '7' }, /incomingInfrequentAccessDays/],
    [{ reanalysisToleratedFailurePercent: '101' }, /reanalysisToleratedFailurePercent/],
    [{ retentionDays: 'forever' }, /retentionDays/],
    [{ nightlySchedule: '0 2 * * *' }, /nightlySchedule: must be an EventBridge schedule/],
    [{ acceptedDomains: 'contoso.com,not a domain!' }, /acceptedDomains: .*invalid accepted domains/],
    [{ alertEmail: 'ops' }, /alertEmail/],
    [{ jwtIssuer: 'http://login.example.com' }, /jwtIssuer/],
    [{ jwtIssuer: 'https://login.example.com' }, /jwtIssuer and jwtAudience must be given together/],
    [{ dashboardOrigin: 'https://audit.contoso.com/app' }, /dashboardOrigin: must be an origin/],
    [{ dashboardClientId: 'spa-client' }, /dashboardClientId needs jwtIssuer/],
    [
      { jwtIssuer: 'https://login.example.com', jwtAudience: 'api', dashboardClientId: 'bad id!' },
      /dashboardClientId: must be the client id/,
    ],
    [
      { jwtIssuer: 'https://login.example.com', jwtAudience: 'api', dashboardScope: 'openid' },
      /dashboardScope needs dashboardClientId/,
    ],
    [
      {
        jwtIssuer: 'https://login.example.com',
        jwtAudience: 'api',
        dashboardClientId: 'spa',
        dashboardScope: 'a  "b"',
      },
      /dashboardScope: must be OAuth scopes/,
    ],
  ])('rejects %o', (input, message) => {
    expect(() => parseSettings(input)).toThrow(SettingsError);
    expect(() => parseSettings(input)).toThrow(message);
  });
});

describe('dashboard sign-in settings', () => {
  const JWT = {
    jwtIssuer: 'https://login.microsoftonline.com/tenant-id/v2.0',
    jwtAudience: 'api://relay-audit',
  };

  it('gives the dashboard an auth config only with jwtIssuer and dashboardClientId', () => {
    expect(dashboardAuthOf(parseSettings(JWT))).toBeUndefined();
    const settings = parseSettings({
      ...JWT,
      dashboardClientId: ' 11111111-2222-3333-4444-555555555555 ',
      dashboardScope: 'api://relay-audit/access offline_access',
    });
    expect(settings).toMatchObject({
      dashboardClientId: '11111111-2222-3333-4444-555555555555',
      dashboardScope: 'api://relay-audit/access offline_access',
    });
    expect(dashboardAuthOf(settings)).toEqual({
      issuer: 'https://login.microsoftonline.com/tenant-id/v2.0',
      clientId: '11111111-2222-3333-4444-555555555555',
      scope: 'api://relay-audit/access offline_access',
    });
  });

  it('defaults the scope to openid and treats empty values as not set', () => {
    expect(dashboardAuthOf(parseSettings({ ...JWT, dashboardClientId: 'spa', dashboardScope: '' }))).toEqual({
      issuer: JWT.jwtIssuer,
      clientId: 'spa',
      scope: 'openid',
    });
    expect(parseSettings({ dashboardClientId: ' ' }).dashboardClientId).toBeUndefined();
  });
});

describe('loadSettings', () => {
  it('reads only the relay-audit keys from context', () => {
    const context: Record<string, unknown> = { retentionDays: 30, '@aws-cdk/core:flag': true };
    const settings = loadSettings({ tryGetContext: (key) => context[key] });
    expect(settings.retentionDays).toBe(30);
  });
});
