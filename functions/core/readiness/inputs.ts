/**
 * What a readiness report says it was given — which file said what — for people.
 */
import { z } from 'zod';
import { CertificateDescription } from '../organisation/certificate-description.js';

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
  certificates: z.array(CertificateDescription),
  /** Files that could not be read as what their names say (each also has a `config-file-invalid` result). */
  invalid: z.array(z.object({ file: z.string(), message: z.string() })),
  ignored: z.array(z.string()),
});
export type ReadinessInputs = z.infer<typeof ReadinessInputs>;
