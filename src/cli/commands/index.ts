// Every CLI command, in help order. A command module exports a function that adds itself.
import type { Command } from 'commander';
import { registerBaseline, registerGate } from './gate.js';
import { registerTrend } from './trend.js';
import { registerGameday } from './gameday.js';
import { registerDeploy } from './deploy.js';
import { registerHeal, registerFaults, registerInject } from './inject.js';
import { registerDown, registerStatus, registerUp } from './lab-commands.js';
import { registerReport } from './report.js';
import { registerRun } from './run.js';
import { registerStandin } from './standin.js';
import { registerAvailability, registerPlan, registerSimulate } from './sim.js';
import { registerBackup, registerRestore } from './state.js';

export type RegisterCommand = (program: Command) => void;

export const COMMANDS: readonly RegisterCommand[] = [registerRun, registerGameday, registerReport, registerBaseline, registerGate, registerTrend, registerUp, registerStatus, registerInject, registerHeal, registerFaults, registerDeploy, registerDown, registerAvailability, registerSimulate, registerPlan, registerStandin, registerBackup, registerRestore];
