#!/usr/bin/env node
import { runProgram } from '@tapline/protocol';
import { postgresTarget } from '../dist/index.js';

await runProgram(postgresTarget);
