// The public library API. Everything the CLI does can be imported from here.

export * from './errors.ts';
export * from './eval/llama.ts';
export * from './gguf/constants.ts';
export * from './gguf/llama.ts';
export * from './gguf/metadata.ts';
export * from './gguf/reader.ts';
export * from './gguf/writer.ts';
export * from './model/chat-template.ts';
export * from './model/config.ts';
export * from './model/convert.ts';
export * from './model/export-hf.ts';
export * from './model/hf-names.ts';
export * from './model/hf-tokenizer.ts';
export * from './model/init-model.ts';
export * from './model/safetensors.ts';
export * from './model/sentencepiece.ts';
export * from './model/tokenizer/bpe-vocab.ts';
export * from './model/tokenizer/tokenizer.ts';
export * from './model/tokenizer/vocab.ts';
export * from './model/weights.ts';
export * from './quant/index.ts';
export * from './trainer/adapter-gguf.ts';
export * from './trainer/backend.ts';
export {
  type ChatSample,
  ChatSampleSchema,
  chatEncoderFromGguf,
  loadChatData,
  parseChatJsonl,
} from './trainer/data.ts';
export * from './trainer/export.ts';
export * from './trainer/finetune.ts';
export * from './trainer/forward.ts';
export * from './trainer/gpu.ts';
export * from './trainer/lora.ts';
export * from './trainer/memory.ts';
export * from './trainer/peft.ts';
export * from './trainer/schedule.ts';
export * from './trainer/tf-model.ts';
export * from './util/atomic-file.ts';
export * from './util/random.ts';
