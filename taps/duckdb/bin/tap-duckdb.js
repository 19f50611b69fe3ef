#!/usr/bin/env node
import { runProgram } from '@tapline/protocol';
import { duckdbTap } from '../dist/index.js';

await runProgram(duckdbTap);
