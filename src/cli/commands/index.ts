/** Every `nucmesh` subcommand, in the order `nucmesh --help` lists them. */
import type { Command } from '../command.js';
import { agentCommand } from './agent.js';
import { fleetCommand } from './fleet.js';
import { detectCommand } from './detect.js';
import { captureCommand } from './capture.js';
import { peersCommand } from './peers.js';
import { resetCommand } from './reset.js';
import { leaveCommand } from './leave.js';
import { statusCommand } from './status.js';
import { logsCommand } from './logs.js';
import { bundleCommand } from './bundle.js';
import { installCommand } from './install.js';

export const commands: Command[] = [
  agentCommand,
  fleetCommand,
  detectCommand,
  captureCommand,
  peersCommand,
  resetCommand,
  leaveCommand,
  statusCommand,
  logsCommand,
  bundleCommand,
  installCommand,
];
