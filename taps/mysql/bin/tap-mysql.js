#!/usr/bin/env node
import { runProgram } from '@tapline/protocol';
import { mysqlTap } from '../dist/index.js';

await runProgram(mysqlTap);
