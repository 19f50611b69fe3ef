#!/usr/bin/env node
import { runProgram } from '@tapline/protocol';
import { jsonlTap } from '../dist/index.js';

await runProgram(jsonlTap);
