/** Runs one of the programs the installer needs, with its output; a failure is E_INSTALL_TOOL naming the command. */
import { execFile } from 'node:child_process';
import { NucmeshError } from '../errors.js';

export interface ToolResult {
  stdout: string;
  stderr: string;
}

export type RunTool = (cmd: string, args: readonly string[], input?: string) => Promise<ToolResult>;

export const runTool: RunTool = (cmd, args, input) =>
  new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      [...args],
      { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, env: { ...process.env, MTOOLS_SKIP_CHECK: '1', LC_ALL: 'C' } },
      (err, stdout, stderr) => {
        if (err)
          reject(
            new NucmeshError('E_INSTALL_TOOL', `${cmd} ${args.join(' ')} failed: ${(stderr || err.message).trim()}`, {
              data: { cmd, args: [...args] },
              cause: err,
            }),
          );
        else resolve({ stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
