#!/usr/bin/env node
// Entry point: the CLI is TypeScript, run through Node's built-in type stripping.
import '../src/cli/main.ts';
