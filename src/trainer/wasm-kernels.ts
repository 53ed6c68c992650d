// Replacements for three tfjs-backend-wasm 4.22 kernels that copy far more memory than they need to:
//   Identity  copies the whole tensor, and the gradient tape clones (Identity) every tensor it saves for backward;
//             with `shareClones` it shares the data by reference count instead, as the cpu backend and wasm's own
//             Reshape do (tfjs tensors are immutable, so sharing is safe). Off by default: it lowers the real peak
//             memory of a LoRA training step (by about 27% on one measured config), and the trainer's memory model
//             has to account for that before it is switched on.
//   Slice     reads the whole input out of the wasm heap (readSync copies it) to take one piece; here a contiguous
//             slice is copied straight from a heap view. Other slices use the original kernel.
//   Unpack    slices along the axis with that same whole-input copy per output; axis 0 now uses the fast Slice.
// Measured: unstacking a [32, 256, 32] tensor took 32 ms with the stock kernels and 0.6 ms with these.

import * as tf from '@tensorflow/tfjs-core';

/** The parts of BackendWasm these kernels use (its public kernel-facing methods). */
interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  incRef(dataId: tf.DataId): void;
}

type Args = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

function fastSlice(original: tf.KernelFunc, args: Args): tf.TensorInfo {
  const x = args.inputs.x!;
  const { begin, size } = args.attrs as unknown as tf.SliceAttrs;
  const [b, s] = tf.slice_util.parseSliceParams(x, begin, size);
  if (x.dtype === 'string' || !tf.slice_util.isSliceContinous(x.shape, b, s)) {
    return original(args as never) as tf.TensorInfo;
  }
  const backend = args.backend as WasmBackend;
  const out = backend.makeOutput(s, x.dtype); // may grow the heap: take views only after it
  const from = tf.slice_util.computeFlatOffset(b, tf.util.computeStrides(x.shape));
  const n = tf.util.sizeFromShape(s);
  backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(x).subarray(from, from + n));
  return out;
}

const replace = (kernelName: string, kernelFunc: (args: Args) => tf.TensorInfo | tf.TensorInfo[]) => {
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as tf.KernelFunc });
};

let slicesInstalled = false;
let clonesShared = false;

/** Registers the faster kernels for the wasm backend (call once the wasm backend is loaded; repeats are no-ops). */
export function installWasmKernels(options: { shareClones?: boolean } = {}): void {
  const [identity, slice, unpack] = ['Identity', 'Slice', 'Unpack'].map((k) => tf.getKernel(k, 'wasm'));
  if (!identity || !slice || !unpack) return;

  if (options.shareClones && !clonesShared) {
    clonesShared = true;
    replace('Identity', (args) => {
      const x = args.inputs.x!;
      if (x.dtype === 'string') return identity.kernelFunc(args as never) as tf.TensorInfo;
      (args.backend as WasmBackend).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    });
  }

  if (slicesInstalled) return;
  slicesInstalled = true;
  replace('Slice', (args) => fastSlice(slice.kernelFunc, args));
  replace('Unpack', (args) => {
    const x = args.inputs.value!;
    const axis = (args.attrs as unknown as tf.UnpackAttrs).axis;
    if (axis !== 0 && axis !== -x.shape.length) return unpack.kernelFunc(args as never) as tf.TensorInfo[];
    const rest = x.shape.slice(1);
    return Array.from({ length: x.shape[0] }, (_, i) => {
      const piece = fastSlice(slice.kernelFunc, {
        inputs: { x },
        backend: args.backend,
        attrs: { begin: [i, ...rest.map(() => 0)], size: [1, ...rest] },
      });
      return { ...piece, shape: rest };
    });
  });
}
