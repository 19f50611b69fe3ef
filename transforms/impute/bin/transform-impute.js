#!/usr/bin/env node
import { runProgram } from '@tapline/protocol';
import { imputeProgram } from '../dist/index.js';

await runProgram(imputeProgram);
