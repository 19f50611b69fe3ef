#!/usr/bin/env node
import { executeTapline } from '../dist/index.js';

process.exitCode = await executeTapline(process.argv.slice(2));
