/**
 * Builds (or finds cached) both test images before the VM test files run side by side, so no
 * two of them build the same image at once: `node dist/test/vm/prepare-images.js`.
 */
import { ensureTestImage } from './helpers/test-image.js';
import { vmTestsUnavailable } from './helpers/test-image.js';

const unavailable = vmTestsUnavailable();
if (unavailable) {
  console.log(`# VM test images not built: ${unavailable}`);
} else {
  for (const secureBoot of [false, true]) {
    const image = await ensureTestImage((l) => console.log(`# ${l}`), { secureBoot });
    console.log(
      `# test image (${secureBoot ? 'secure-boot' : 'plain'}): ${image.buildSeconds === null ? 'cached' : `built in ${image.buildSeconds} s`}`,
    );
  }
}
