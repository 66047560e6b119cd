import { execFileSync } from 'node:child_process';
import { createLogger } from '../../log.js';
import { NucmeshError, UsageError } from '../../errors.js';
import { PACKAGE_VERSION } from '../../version.js';
import { bootedWithUefi, readLiveMode } from '../../installer/facts.js';
import { describeDisk, diskByIdName, ineligibility } from '../../installer/disks.js';
import { describeContent } from '../../installer/disk-content.js';
import { carryOut, jobFor, readInstallFacts } from '../../installer/session.js';
import { describeProgress } from '../../installer/progress.js';
import { runTool } from '../../installer/run-tool.js';
import { WIPE_HINT, type InstallDecision } from '../../installer/decide.js';
import { parseOptions, write, type Command } from '../command.js';

const help = `Usage: nucmesh install --target DEV [--wipe] [--yes] [--dry-run]

Installs nucmesh from the disk this system booted from (a nucmesh stick) onto the
internal disk DEV (/dev/nvme0n1, or a /dev/disk/by-id/ name), the way a stick does
by itself at boot: an install marker first, the EFI and root partitions copied and
read back (SHA-256), new disk, partition and file system UUIDs, the partition table
last (root grown to the whole disk), an EFI boot entry first in BootOrder and as
BootNext. A cut install is recognised by its marker and redone.

A disk with a partition table or a file system signature is refused unless --wipe
is given; a disk with nucmesh installed is left alone.

Options:
  --target DEV   The disk to install onto (required)
  --wipe         Overwrite a disk that is not blank (its data is lost)
  --yes          Do it (without it, only --dry-run's output and a note)
  --dry-run      Print what would be done, write nothing
  -h, --help     Show this help.

Exit codes: 0 installed (or nothing to do), 1 refused or failed, 2 usage error.
`;

/** The device "/" is mounted from (when not booted from a stick). */
function rootDevice(): string {
  return execFileSync('findmnt', ['-n', '-o', 'SOURCE', '/'], { encoding: 'utf8' }).trim();
}

export const installCommand: Command = {
  name: 'install',
  summary: 'install nucmesh from this stick onto an internal disk (what a stick does at boot)',
  help,
  async run(argv, io) {
    const { values } = parseOptions(
      'install',
      {
        target: { type: 'string' },
        wipe: { type: 'boolean' },
        yes: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
      },
      argv,
    );
    if (values.help) {
      write(io.stdout, help);
      return 0;
    }
    const targetArg = values['target'] as string | undefined;
    if (!targetArg) throw new UsageError('install: --target DEV is required');
    const live = await readLiveMode();
    const facts = await readInstallFacts(runTool, live?.root ?? rootDevice());
    const target =
      facts.disks.find((d) => d.path === targetArg || d.name === targetArg) ?? diskByIdName(facts.disks, targetArg);
    if (!target) throw new NucmeshError('E_INSTALL_TARGET', `install: ${targetArg} is not a disk of this machine`);
    const why = ineligibility(target, facts.stick.name);
    if (why) throw new NucmeshError('E_INSTALL_TARGET', `install: ${describeDisk(target)} cannot be used: ${why}`);
    const content = facts.contents.get(target.name) ?? { kind: 'foreign' as const, signatures: ['unknown'] };
    const decision: InstallDecision =
      content.kind === 'installed'
        ? { action: 'boot-installed', target, espPartUuid: content.espPartUuid }
        : content.kind === 'foreign' && !values['wipe']
          ? {
              action: 'refuse',
              target,
              reason: `${describeDisk(target)} is ${describeContent(content)}; --wipe overwrites it (at boot: ${WIPE_HINT})`,
            }
          : { action: 'install', target, content, why: `${describeDisk(target)} is ${describeContent(content)}` };
    const uefi = await bootedWithUefi();
    write(
      io.stdout,
      `source: ${describeDisk(facts.stick)}\ntarget: ${describeDisk(target)}: ${describeContent(content)}\n`,
    );
    if (decision.action === 'refuse') {
      write(io.stderr, `install: refused: ${decision.reason}\n`);
      return 1;
    }
    if (decision.action === 'boot-installed') {
      write(io.stdout, 'nucmesh is installed on the target already: nothing to do\n');
      return 0;
    }
    const job = await jobFor(runTool, facts.stick, target, PACKAGE_VERSION, uefi);
    if (values['dry-run'] || !values['yes']) {
      const lines = [
        `would: mark ${target.path} as an install in progress (zero its first and last MiB, marker at LBA 1)`,
        ...job.layout.ranges.map(
          (r) =>
            `would: copy the ${r.what} partition: ${r.length} bytes at offset ${r.offset}, then read back and compare (SHA-256)`,
        ),
        `would: new IDs ${JSON.stringify(job.layout.ids)}`,
        `would: write the partition table:\n${job.layout.sfdiskScript.replace(/^/gm, '    ')}`,
        uefi
          ? `would: add an EFI boot entry for ${target.path} partition 1, first in BootOrder, and BootNext`
          : 'would: no EFI boot entry (not booted through UEFI)',
      ];
      write(io.stdout, `${lines.join('\n')}\n`);
      if (!values['dry-run']) write(io.stdout, 'nothing written: add --yes to install\n');
      return 0;
    }
    const log = createLogger();
    let last = '';
    const outcome = await carryOut(decision, facts, {
      run: runTool,
      log,
      version: PACKAGE_VERSION,
      uefi,
      onProgress: (p) => {
        const line = describeProgress(p).replace(/ \d+%.*/, '');
        if (line !== last || p.done === p.total) write(io.stderr, `${describeProgress(p)}\n`);
        last = line;
      },
    });
    if (outcome.kind === 'installed')
      write(
        io.stdout,
        `installed onto ${outcome.target.path}: ${outcome.result.bytes} bytes in ${(outcome.result.writeMs / 1000).toFixed(1)} s, verified\n`,
      );
    return 0;
  },
};
