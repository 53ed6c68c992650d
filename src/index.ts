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
export * from './model/init-model.ts';
export * from './util/atomic-file.ts';
export * from './util/random.ts';
export * from './model/weights.ts';
