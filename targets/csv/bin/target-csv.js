#!/usr/bin/env node
import { runProgram } from '@tapline/protocol';
import { csvTarget } from '../dist/index.js';

await runProgram(csvTarget);
