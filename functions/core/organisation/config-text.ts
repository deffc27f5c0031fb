/**
 * Bytes of a configuration file → text. Windows PowerShell 5.1 writes `ConvertTo-Json > file` as
 * UTF-16LE with a BOM and `Set-Content` as ANSI/UTF-8, so the encoding is sniffed the same way the
 * log decoder does it, and invalid bytes fail loudly instead of turning into U+FFFD.
 */
import { sniffEncoding } from '../text/decode.js';
import { ConfigFileError } from './errors.js';

/**
 * Decodes `input` (already text, or the file's bytes). `expected` describes the file's purpose for
 * the error message.
 */
export function configText(input: string | Uint8Array, file: string, expected: string): string {
  if (typeof input === 'string') return input.replace(/^\uFEFF/, '');
  const { encoding, bomLength } = sniffEncoding(input.subarray(0, 512));
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(input.subarray(bomLength));
  } catch (error) {
    throw new ConfigFileError(file, `the bytes are not valid ${encoding} text`, expected, {
      cause: error,
    });
  }
}
