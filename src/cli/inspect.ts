import type { Command } from 'commander';
import { fileTypeName, GGML_TYPES } from '../gguf/constants.ts';
import { toJsonValue } from '../gguf/metadata.ts';
import { GgufFile } from '../gguf/reader.ts';
import { printJson } from './shared.ts';

function human(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(u === 0 ? 0 : 2)} ${units[u]}`;
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('show a GGUF file: architecture, file type, parameters, size and its tensors')
    .argument('<file>', 'GGUF file')
    .option('--json', 'print { version, alignment, metadata, tensors } as JSON on stdout')
    .action((file: string, opts: { json?: boolean }) => {
      const g = GgufFile.open(file);
      try {
        if (opts.json) {
          printJson({
            version: g.version,
            alignment: g.alignment,
            metadata: Object.fromEntries([...g.metadata].map(([k, v]) => [k, toJsonValue(v)])),
            tensors: g.tensors.map((t) => ({
              name: t.name,
              type: GGML_TYPES[t.type].name,
              shape: t.ne,
              offset: t.offset,
            })),
          });
          return;
        }
        const md = g.metadata;
        const str = (k: string) => (md.has(k) ? String(toJsonValue(md.get(k)!)) : '-');
        const ftype = md.get('general.file_type');
        const params = g.tensors.reduce((s, t) => s + t.nElements, 0);
        const lines = [
          `file:          ${file}`,
          `GGUF version:  ${g.version} (alignment ${g.alignment})`,
          `name:          ${str('general.name')}`,
          `architecture:  ${str('general.architecture')}`,
          `file type:     ${ftype ? fileTypeName(Number(ftype.value)) : '-'}`,
          `parameters:    ${params.toLocaleString('en-US')}`,
          `size:          ${human(g.fileSize)} (${g.fileSize.toLocaleString('en-US')} bytes)`,
          `metadata keys: ${md.size}`,
          `tensors:       ${g.tensors.length}`,
          '',
        ];
        const width = Math.max(4, ...g.tensors.map((t) => t.name.length));
        lines.push(`${'name'.padEnd(width)}  ${'type'.padEnd(7)}  ${'shape (ne)'.padEnd(20)}  bytes`);
        for (const t of g.tensors) {
          lines.push(
            `${t.name.padEnd(width)}  ${GGML_TYPES[t.type].name.padEnd(7)}  ${`[${t.ne.join(', ')}]`.padEnd(20)}  ${t.nBytes}`,
          );
        }
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        g.close();
      }
    });
}
