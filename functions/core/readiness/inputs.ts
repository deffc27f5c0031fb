/**
 * What a readiness report says it was given — which file said what — for people. Its own module
 * because both `organisation.ts` (the report) and `certificates.ts` (a certificate file's entry)
 * need it, and `organisation.ts` imports `certificates.ts`.
 */
import { z } from 'zod';

/** What the checks were given, for people: which file said what. */
export const ReadinessInputs = z.object({
  origin: z.string(),
  acceptedDomains: z.object({ file: z.string(), domains: z.array(z.string()) }).nullable(),
  connectors: z
    .object({
      file: z.string(),
      names: z.array(z.string()),
      /** The connector traffic findings name (see `relayConnector`), if any. */
      relayConnector: z.string().nullable(),
    })
    .nullable(),
  certificates: z.array(
    z.object({
      file: z.string(),
      subject: z.string(),
      issuer: z.string(),
      names: z.array(z.string()),
      notBefore: z.iso.datetime(),
      notAfter: z.iso.datetime(),
      chain: z.array(z.string()),
    }),
  ),
  /** Files that could not be read as what their names say (each also has a `config-file-invalid` result). */
  invalid: z.array(z.object({ file: z.string(), message: z.string() })),
  ignored: z.array(z.string()),
});
export type ReadinessInputs = z.infer<typeof ReadinessInputs>;
