// The `meetara` command. Each subcommand lives in src/cli/<name>.ts and registers itself here.
// Exit codes: 0 success, 1 bad input or failed check, 2 usage error. User errors print one line;
// --debug (or MEETARA_DEBUG=1) prints the stack.

import { Command, CommanderError } from 'commander';
import { registerBaseReport } from './cli/base-report.ts';
import { registerCompress } from './cli/compress.ts';
import { registerConvert } from './cli/convert.ts';
import { registerData } from './cli/data.ts';
import { registerDemo } from './cli/demo.ts';
import { registerFinetune } from './cli/finetune.ts';
import { registerInitModel } from './cli/init-model.ts';
import { registerInspect } from './cli/inspect.ts';
import { registerPretrain } from './cli/pretrain.ts';
import { registerQuantize } from './cli/quantize.ts';
import { registerTokenize } from './cli/tokenize.ts';
import { registerTokenizerTrain } from './cli/tokenizer-train.ts';
import { registerPlan, registerTrain } from './cli/train.ts';
import { MeetaraError } from './errors.ts';

const program = new Command('meetara')
  .description('MeeTARA Lab: turn a small base LLM into empathetic domain specialists, shipped as GGUF')
  .option('--debug', 'print stack traces on errors')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerInspect(program);
registerInitModel(program);
registerConvert(program);
registerTokenize(program);
registerTokenizerTrain(program);
registerFinetune(program);
registerQuantize(program);
registerData(program);
registerPretrain(program);
registerBaseReport(program);
registerTrain(program);
registerPlan(program);

registerCompress(program);
registerDemo(program);

const debug = process.argv.includes('--debug') || process.env.MEETARA_DEBUG === '1';

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version exit 0; every other commander error is a usage error.
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else if (err instanceof MeetaraError && !debug) {
    process.stderr.write(`meetara: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else if ((err as NodeJS.ErrnoException)?.code && !debug) {
    process.stderr.write(`meetara: ${(err as Error).message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
