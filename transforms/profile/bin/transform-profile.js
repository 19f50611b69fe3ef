#!/usr/bin/env node
import { runProgram } from '@tapline/protocol';
import { profileTransform } from '../dist/index.js';

await runProgram(profileTransform);
