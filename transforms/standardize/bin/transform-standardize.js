#!/usr/bin/env node
import { runProgram } from '@tapline/protocol';
import { standardizeProgram } from '../dist/index.js';

await runProgram(standardizeProgram);
