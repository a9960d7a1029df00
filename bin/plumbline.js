#!/usr/bin/env node
// The `plumbline` command. Sources are TypeScript run through tsx's ESM loader, so a clone works
// after `npm install` with no build step.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
