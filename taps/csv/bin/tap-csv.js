#!/usr/bin/env node
import { runProgram } from '@tapline/protocol';
import { csvTap } from '../dist/index.js';

await runProgram(csvTap);
