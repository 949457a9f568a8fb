// No `import 'reflect-metadata'` here: it costs ~40 ms at every start, and the one module that
// needs it (evidence/signatures/certificate.ts, for @peculiar/x509) imports it itself, first.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
