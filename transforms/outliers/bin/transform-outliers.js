#!/usr/bin/env node
import { runProgram } from '@tapline/protocol';
import { outliersProgram } from '../dist/index.js';

await runProgram(outliersProgram);
