#!/usr/bin/env node
import { runProgram } from '@tapline/protocol';
import { duckdbTarget } from '../dist/index.js';

await runProgram(duckdbTarget);
