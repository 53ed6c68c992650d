// Numbers as the CLI, the deployment README and the demo summary print them.

/** Bytes as decimal megabytes with two decimals: "3.50 MB". */
export const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(2)} MB`;

/** A fraction as a percentage with one decimal: 0.581 → "58.1%". */
export const percent = (fraction: number): string => `${(fraction * 100).toFixed(1)}%`;
