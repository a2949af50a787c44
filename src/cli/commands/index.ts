// Every CLI command, in help order. A command module exports a function that adds itself.
import type { Command } from 'commander';

export type RegisterCommand = (program: Command) => void;

export const COMMANDS: readonly RegisterCommand[] = [];
