/**
 * The setup every VM test file shares: a work directory, the test image (built once, cached),
 * the VMs it starts, and their cleanup (each killed by its PID, the directory removed), also
 * when the test fails. Call `vmSuite()` inside a `describe`.
 */
import { after, before } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureTestImage, type TestImage, type TestImageOptions } from './test-image.js';
import { IsolatedNet, Vm, type VmOptions } from './qemu.js';

export interface VmSuite {
  readonly work: string;
  /** The test image (set once `before` ran). */
  image(): TestImage;
  start(o: Omit<VmOptions, 'workDir' | 'image'> & { image?: TestImage }): Promise<Vm>;
  /** A network namespace of its own (for VMs on a shared L2 segment), killed after the suite. */
  isolatedNet(): Promise<IsolatedNet>;
}

export function vmSuite(name: string, imageOptions: TestImageOptions = {}): VmSuite {
  const work = mkdtempSync(path.join(os.tmpdir(), `nucmesh-vm-${name}-`));
  let image: TestImage | undefined;
  const vms: Vm[] = [];
  const nets: IsolatedNet[] = [];
  before(async () => {
    image = await ensureTestImage((l) => console.log(l), imageOptions);
    if (image.buildSeconds !== null) console.log(`# image built in ${image.buildSeconds} s`);
  });
  after(async () => {
    for (const vm of vms) await vm.kill();
    for (const n of nets) await n.kill();
    rmSync(work, { recursive: true, force: true });
  });
  const current = (): TestImage => {
    if (!image) throw new Error('the test image is not built yet (vmSuite must be called inside describe)');
    return image;
  };
  return {
    work,
    image: current,
    async start(o) {
      const vm = await Vm.start({ ...o, workDir: work, image: o.image ?? current() });
      vms.push(vm);
      return vm;
    },
    async isolatedNet() {
      const n = await IsolatedNet.start();
      nets.push(n);
      return n;
    },
  };
}
