// The default chat template. Models without `tokenizer.chat_template` get ChatML, and every GGUF this project
// writes embeds the template it was trained with, so llama.cpp and Ollama format prompts exactly as training did.

/** ChatML, as a Jinja template (the same text Qwen2 and many others ship). */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export const CHATML_SPECIAL_TOKENS = ['<|im_start|>', '<|im_end|>'] as const;
