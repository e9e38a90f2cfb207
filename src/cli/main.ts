// The `carapace` command line. Every command prints JSON (or plain text where it says so) and exits
// 0 on success, 1 when a check finds a difference, 2 with {error, code, detail} for input it cannot take.

import { Command } from 'commander';
import { decideCommand } from './decide_command.js';
import { demoCommand } from './demo_command.js';
import { runCommand } from './io.js';
import { replayCommand } from './replay_command.js';
import { rulesetHashCommand, rulesetShowCommand } from './ruleset_command.js';

const program = new Command();
program
  .name('carapace')
  .description('Action-layer security gateway for AI agents')
  .showHelpAfterError()
  .exitOverride((err) => {
    // Usage errors keep commander's message on stderr and exit 2, like any input the CLI cannot take.
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

program
  .command('decide')
  .description('decide one request {envelope, chunks?, lobstertrap?, catalog?} read as JSON from stdin')
  .option('-f, --file <path>', 'read the request from a file instead of stdin')
  .option('-c, --catalog <path>', 'tool catalog (YAML or JSON) instead of the built-in demo data hall')
  .action((options: { file?: string; catalog?: string }) => runCommand(() => decideCommand(options)));

program
  .command('replay')
  .description('decide recorded decision records (JSON lines) again; exit 1 if any differs')
  .argument('<file>', 'decision records, one JSON object per line')
  .option('-c, --catalog <path>', 'tool catalog the records were decided against (default: built-in)')
  .action((file: string, options: { catalog?: string }) => runCommand(() => replayCommand(file, options)));

const ruleset = program.command('ruleset').description('the compiled default ruleset');
ruleset
  .command('show')
  .description('print the ruleset as data with its version and hash')
  .action(() => runCommand(rulesetShowCommand));
ruleset
  .command('hash')
  .description('print the ruleset hash (sha256 over RFC 8785 canonical JSON)')
  .action(() => runCommand(rulesetHashCommand));

program
  .command('demo')
  .description('run the engine on the demo data hall scenarios')
  .action(() => runCommand(demoCommand));

await program.parseAsync(process.argv);
