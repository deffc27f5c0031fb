/**
 * Vitest setup file (vitest.config.ts): the test processes run the Lambda handlers and the store
 * in-process, so on Node 20 the AWS SDK's Node.js-version notice would be printed by every test file
 * that creates a client. The same switch as the CLI's (bin/support/quiet-sdk-notice.ts) keeps it out
 * of the test output; other warnings still print. Tests that check the CLI itself remove the switch
 * from the environment of the process they start.
 */
import { quietSdkNodeVersionNotice } from '../../bin/support/quiet-sdk-notice.js';

quietSdkNodeVersionNotice();
