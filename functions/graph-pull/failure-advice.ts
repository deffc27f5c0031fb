/**
 * What an operator does about a failed pull, by kind of failure: the sentence the run's error (and
 * a failed re-read's warning) ends with. The set-up steps are those of the README's section
 * "Exchange Online message trace, pulled from Microsoft Graph".
 */
import { GraphFailure } from './errors.js';

const ADVICE: Record<GraphFailure, string> = {
  [GraphFailure.Unauthorized]:
    "Graph refused a token just renewed (401): the service principal of Microsoft's message trace app " +
    '8bd644d1-64a1-4d4b-ae52-2e0cbf64e373 must exist in the tenant (set-up step 4); a new one takes hours to ' +
    'spread, then the pull goes on by itself',
  [GraphFailure.Forbidden]:
    'the app may not read message trace (403): give its app registration the Microsoft Graph application ' +
    'permission ExchangeMessageTrace.Read.All and grant admin consent (set-up steps 2 and 3)',
  [GraphFailure.SignIn]:
    'sign-in was refused: check the graphTenantId and graphClientId context values and that the certificate in ' +
    'the secret is the one uploaded to the app registration (set-up steps 5 and 6)',
  [GraphFailure.BadRequest]:
    'Graph refused the question (4xx): check GRAPH_BASE_URL (the beta endpoint by default); message trace ' +
    'answers only for the last 90 days',
  [GraphFailure.NotFound]:
    'Graph has no such resource (404): check GRAPH_BASE_URL (the beta endpoint by default, where the message ' +
    'trace API is)',
  [GraphFailure.BadAnswer]: 'Graph answered something that is not a collection page: check GRAPH_BASE_URL',
  [GraphFailure.Throttled]:
    "Graph kept throttling (429): other automation may be spending the tenant's 100 message trace requests per " +
    '5 minutes; lower REQUESTS_PER_5_MINUTES or space that automation out',
  [GraphFailure.ServerError]:
    'Graph kept failing (5xx) through the retries: usually passing, the next run tries again; if it lasts, ' +
    'see the Microsoft 365 service health of Exchange Online',
  [GraphFailure.Network]:
    'Graph could not be reached through the retries: usually passing, the next run tries again; if it lasts, ' +
    'check that the function reaches login.microsoftonline.com and graph.microsoft.com',
  [GraphFailure.Timeout]:
    'Graph did not answer in time through the retries: usually passing, the next run tries again',
  [GraphFailure.BadCursor]: 'delete the cursor object to start over (the first run goes 24 hours back)',
  [GraphFailure.OutOfTime]: 'the rest waits for the next run',
};

export const adviceFor = (failure: GraphFailure): string => ADVICE[failure];
