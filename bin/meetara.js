#!/usr/bin/env node
// Entry point for `npx meetara`: registers tsx so the TypeScript CLI runs straight after `npm ci`.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
