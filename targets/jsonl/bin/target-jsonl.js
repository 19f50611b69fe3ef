#!/usr/bin/env node
import { runProgram } from '@tapline/protocol';
import { jsonlTarget } from '../dist/index.js';

await runProgram(jsonlTarget);
