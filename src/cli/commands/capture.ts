import path from 'node:path';
import { UsageError } from '../../errors.js';
import { captureTo } from '../../firstboot/hardware/index.js';
import { parseOptions, write, type Command } from '../command.js';

const help = `Usage: nucmesh capture DIR

Reads every hardware source of this machine and writes each raw output into DIR,
one file per source, so 'nucmesh detect --from DIR' (and 'nucmesh agent
--hardware-from DIR') later builds exactly the same inventory elsewhere:

  dmidecode.txt  cpuinfo.txt  lscpu.txt  meminfo.txt  lsblk.json  ip-addr.json
  ip-link.json  lspci.txt (lspci -vvnn)  hwinfo.txt  sensors.txt  os-release
  systemd-detect-virt.txt  kernel-release  dmi-id/<field>  sys-class-net/<if>/<fact>
  tpm/devices  tpm/<dev>/tpm_version_major
  missing.json   why each source that could not be read is absent
  capture.json   when the capture was made

DIR is created if needed; existing files of the same names are overwritten. The
capture holds serial numbers and MAC addresses (no secrets): treat it as inventory data.

Options:
  -h, --help   Show this help.
`;

export const captureCommand: Command = {
  name: 'capture',
  summary: 'write every raw hardware source into a directory (replay with detect --from)',
  help,
  async run(argv, io) {
    const { values, positionals } = parseOptions('capture', {}, argv, true);
    if (values.help) {
      write(io.stdout, help);
      return 0;
    }
    const [dir, ...rest] = positionals;
    if (!dir) throw new UsageError(`nucmesh capture: missing DIR. See 'nucmesh capture --help'.`);
    if (rest.length > 0) throw new UsageError(`nucmesh capture: unexpected argument '${rest[0]}'`);
    const { files, sources } = await captureTo(path.resolve(dir));
    write(io.stdout, `captured ${files.length} source file(s) into ${dir}`);
    for (const [name, why] of [...sources.missing].sort()) write(io.stderr, `not captured: ${name}: ${why}`);
    return 0;
  },
};
