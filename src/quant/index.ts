// The quantization engine's public API.

export { CODEC_TYPES, dequantize, dequantizeInto, quantize, quantizeInto } from './codecs.ts';
export { bf16ToFp32, fp16ToFp32, fp32ToBf16, fp32ToFp16 } from './float16.ts';
export { type HashTensorsOptions, hashTensors, type TensorHash } from './hash.ts';
export {
  allowsQuantization,
  defaultTensorType,
  llamaTensorOrder,
  type ModelShape,
  parseQuantType,
  planTensorTypes,
  QUANT_FILE_TYPES,
  QUANT_TYPE_NAMES,
  type QuantTypeName,
} from './mixes.ts';
export { QuantPool } from './pool.ts';
export {
  modelShapeOf,
  type QuantizedTensorReport,
  type QuantizeFileOptions,
  type QuantizeFileResult,
  quantizeFile,
} from './quantize-file.ts';
