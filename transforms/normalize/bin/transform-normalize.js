#!/usr/bin/env node
import { runProgram } from '@tapline/protocol';
import { normalizeProgram } from '../dist/index.js';

await runProgram(normalizeProgram);
