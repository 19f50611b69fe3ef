#!/usr/bin/env node
import { runProgram } from '@tapline/protocol';
import { mysqlTarget } from '../dist/index.js';

await runProgram(mysqlTarget);
