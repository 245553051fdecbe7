// coffer.mjs: starts the built coffer binary on loopback with a fresh data
// directory and free ports, and runs `coffer admin` and the AWS CLI against it.
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

// run executes a program and resolves with its exit code and output; it never throws.
export function run(file, args, opts = {}) {
  return new Promise((res) => {
    const child = execFile(file, args, { timeout: 120000, maxBuffer: 16 << 20, ...opts }, (err, stdout, stderr) => {
      res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
  });
}

// startCoffer starts `coffer server` and waits until /readyz answers 200.
export async function startCoffer() {
  const bin = process.env.COFFER_BIN || join(root, 'bin/coffer');
  const work = mkdtempSync(join(tmpdir(), 'coffer-browser-'));
  const password = `op-${randomBytes(12).toString('hex')}`;
  const child = spawn(bin, ['server', '--data', join(work, 'data'), '--drives', '4', '--parity', '2',
    '--s3-address', '127.0.0.1:0', '--console-address', '127.0.0.1:0'], {
    env: { ...process.env, COFFER_ADMIN_PASSWORD: password },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let log = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((res) => child.on('exit', (code, signal) => res({ code, signal })));

  const deadline = Date.now() + 30000;
  let s3 = '';
  let consoleURL = '';
  while (Date.now() < deadline) {
    s3 = (out.match(/^ {2}S3 endpoint:\s+(\S+)/m) || [])[1] || '';
    consoleURL = (out.match(/^ {2}Console:\s+(\S+)/m) || [])[1] || '';
    if (s3 && consoleURL) break;
    if (child.exitCode !== null) throw new Error(`coffer exited early:\n${out}\n${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!s3 || !consoleURL) throw new Error(`coffer printed no addresses:\n${out}\n${log}`);
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`${consoleURL}/readyz`);
      if (r.ok) break;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }

  // The AWS CLI must not read this machine's profiles or environment.
  const awsDir = join(work, 'aws');
  mkdirSync(awsDir);
  writeFileSync(join(awsDir, 'config'), '');
  writeFileSync(join(awsDir, 'credentials'), '');
  const awsEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  Object.assign(awsEnv, {
    AWS_CONFIG_FILE: join(awsDir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(awsDir, 'credentials'),
    AWS_MAX_ATTEMPTS: '1',
    AWS_EC2_METADATA_DISABLED: 'true',
  });

  return {
    s3,
    console: consoleURL,
    work,
    password,
    log: () => log,
    // admin runs `coffer admin --server URL --password P ...args`.
    async admin(...args) {
      const r = await run(bin, ['admin', '--server', consoleURL, '--password', password, ...args]);
      if (r.code !== 0) throw new Error(`coffer admin ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
      return r.stdout;
    },
    // aws runs the AWS CLI with the given profile against this server's S3 endpoint.
    aws(args, { profile = 'my-storage', input, cwd = work } = {}) {
      const full = profile ? [...args, '--profile', profile, '--endpoint-url', s3] : args;
      return run('aws', full, { env: awsEnv, input, cwd });
    },
    // configureProfile answers the prompts of `aws configure --profile NAME`.
    configureProfile(name, accessKey, secretKey) {
      return run('aws', ['configure', '--profile', name], { env: awsEnv, input: `${accessKey}\n${secretKey}\nus-east-1\njson\n` });
    },
    python(code) {
      return run('python3', ['-c', code], { env: awsEnv, cwd: work });
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 20000);
        await exited;
        clearTimeout(t);
      }
      if (!process.env.KEEP) rmSync(work, { recursive: true, force: true });
      return exited;
    },
  };
}
