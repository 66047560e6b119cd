/** The `--k3s-*` options that `nucmesh agent` and `nucmesh reset` share: their spec, help lines and parsing. */
import { UsageError } from '../errors.js';
import { DEFAULT_K3S, type K3sAgentOptions } from '../agent/options.js';
import type { OptionSpec } from './command.js';

export const K3S_FLAGS = {
  'k3s-mode': { type: 'string' },
  'k3s-bin': { type: 'string' },
  'k3s-config': { type: 'string' },
  'k3s-data-dir': { type: 'string' },
  'k3s-kubeconfig': { type: 'string' },
} as const satisfies OptionSpec;

export const K3S_FLAGS_HELP = `  --k3s-mode MODE       How k3s runs: systemd (default; the image's k3s.service or
                        k3s-agent.service) or child (a supervised child process of
                        the agent, for containers and tests)
  --k3s-bin PATH        The k3s executable (default: ${DEFAULT_K3S.bin}); without it
                        the node reports k3s-missing and keeps discovery and the API
  --k3s-config FILE     k3s' config file (default: ${DEFAULT_K3S.configFile});
                        nucmesh writes its drop-in to FILE.d/ and never touches FILE
  --k3s-data-dir DIR    k3s' data dir (default: ${DEFAULT_K3S.dataDir})
  --k3s-kubeconfig FILE The admin kubeconfig a k3s server writes
                        (default: ${DEFAULT_K3S.kubeconfig})`;

/** The k3s options given on the command line; undefined when none was. */
export function k3sFlagsOf(command: string, values: Record<string, unknown>): Partial<K3sAgentOptions> | undefined {
  const mode = values['k3s-mode'] as string | undefined;
  if (mode !== undefined && mode !== 'systemd' && mode !== 'child')
    throw new UsageError(`nucmesh ${command}: --k3s-mode must be systemd or child, not '${mode}'`);
  const k3s: Partial<K3sAgentOptions> = {};
  if (mode !== undefined) k3s.mode = mode;
  if (values['k3s-bin'] !== undefined) k3s.bin = values['k3s-bin'] as string;
  if (values['k3s-config'] !== undefined) k3s.configFile = values['k3s-config'] as string;
  if (values['k3s-data-dir'] !== undefined) k3s.dataDir = values['k3s-data-dir'] as string;
  if (values['k3s-kubeconfig'] !== undefined) k3s.kubeconfig = values['k3s-kubeconfig'] as string;
  return Object.keys(k3s).length > 0 ? k3s : undefined;
}
