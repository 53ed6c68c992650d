// The quantize kernel sets the bit-exactness tests run every case through: TypeScript always, and the native
// addon too when it is built and loaded (MEETARA_NO_NATIVE=1 turns it off).

import type { QuantKernels } from '../../src/quant/codecs.ts';
import { nativeKernels } from '../../src/quant/native.ts';

export const KERNELS: QuantKernels[] = nativeKernels ? ['typescript', 'native'] : ['typescript'];
