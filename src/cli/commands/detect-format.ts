/** The short human table `nucmesh detect` prints. Pure: inventory + identity → text. */
import type { FullInventory } from '../../firstboot/hardware/index.js';
import type { NodeIdentity } from '../../firstboot/identity.js';

function gib(bytes: number | null | undefined): string {
  return bytes == null ? 'unknown' : `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

function gb(bytes: number | null): string {
  if (bytes === null) return 'size unknown';
  return bytes >= 1e12 ? `${(bytes / 1e12).toFixed(2)} TB` : `${(bytes / 1e9).toFixed(1)} GB`;
}

export function formatDetectTable(
  inv: FullInventory,
  identity: { id: NodeIdentity | null; persisted: boolean },
): string {
  const rows: [string, string][] = [];
  const p = inv.platform;
  const kind = p.kind === 'nuc' ? `NUC${p.generation !== null ? `, generation ${p.generation}` : ''}` : p.kind;
  rows.push(['model', `${p.model ?? inv.system.product ?? 'unknown'} (${kind})`]);
  rows.push(['vendor', inv.system.vendor ?? inv.board.vendor ?? 'unknown']);
  rows.push(['serial', inv.system.serial ?? inv.board.serial ?? 'unknown']);
  const c = inv.cpu;
  rows.push(['CPU', `${c.model ?? 'unknown'} (${c.cores ?? '?'} cores, ${c.threads ?? '?'} threads)`]);
  const mods = inv.memory.modules;
  rows.push([
    'RAM',
    `${gib(inv.memory.totalBytes)}${mods.length > 0 ? ` (${mods.length} module${mods.length > 1 ? 's' : ''}: ${mods.map((m) => `${gib(m.sizeBytes)} ${m.type ?? ''}`.trim()).join(', ')})` : ''}`,
  ]);
  if (inv.disks.length === 0) rows.push(['disks', 'none found']);
  inv.disks.forEach((d, i) =>
    rows.push([i === 0 ? 'disks' : '', `${d.name}  ${d.transport}  ${gb(d.sizeBytes)}  ${d.model ?? ''}`.trimEnd()]),
  );
  const nics = inv.nics.filter((n) => !n.virtual);
  if (nics.length === 0) rows.push(['NICs', `none found${inv.nics.length > 0 ? ` (${inv.nics.length} virtual)` : ''}`]);
  nics.forEach((n, i) =>
    rows.push([
      i === 0 ? 'NICs' : '',
      `${n.name}  ${n.mac ?? 'mac unknown'}  ${n.driver ?? ''}${n.speedMbps ? `  ${n.speedMbps} Mb/s` : ''}${n.addresses.length ? `  ${n.addresses.join(' ')}` : ''}`.replace(
        /\s+$/,
        '',
      ),
    ]),
  );
  if (inv.tpm.present) rows.push(['TPM', inv.tpm.version ?? 'present']);
  if (inv.virtualization) rows.push(['virtual', inv.virtualization]);
  const id = identity.id;
  rows.push([
    'identity',
    id
      ? `${id.hostname}  node ID ${id.nodeId} (from ${id.source}${identity.persisted ? ', persisted' : ', derived now, not persisted'})`
      : 'no stable hardware ID: the agent will generate a random one once',
  ]);
  if (inv.warnings.length > 0) rows.push(['warnings', `${inv.warnings.length} source(s) unreadable; see --json`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n';
}
