#!/usr/bin/env node
import { runProgram } from '@tapline/protocol';
import { cleanNamesProgram } from '../dist/index.js';

await runProgram(cleanNamesProgram);
