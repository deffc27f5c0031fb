/** What a readiness report says of a certificate file; zod only, so the browser bundle can import it. */
import { z } from 'zod';

/** What a report says of a certificate file: its leaf's names and dates, and the subjects of the chain given with it. */
export const CertificateDescription = z.object({
  file: z.string(),
  subject: z.string(),
  issuer: z.string(),
  names: z.array(z.string()),
  notBefore: z.iso.datetime(),
  notAfter: z.iso.datetime(),
  chain: z.array(z.string()),
});
export type CertificateDescription = z.infer<typeof CertificateDescription>;
