#!/usr/bin/env node
import { runProgram } from '@tapline/protocol';
import { postgresTap } from '../dist/index.js';

await runProgram(postgresTap);
