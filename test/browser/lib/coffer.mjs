// coffer.mjs: the coffer server that test/browser/run.sh started with
// test/lib/server.sh (the one launcher of the shell suites), and helpers
// that run `coffer admin`, the AWS CLI and Python against it.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// run executes a program and resolves with its exit code and output; it never throws.
export function run(file, args, opts = {}) {
  return new Promise((res) => {
    const child = execFile(file, args, { timeout: 120000, maxBuffer: 16 << 20, ...opts }, (err, stdout, stderr) => {
      res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
  });
}

// connectCoffer describes the running server from the environment run.sh
// exports: its addresses, work directory and operator credentials. run.sh
// stops the server after the tests and checks that it exits cleanly.
export function connectCoffer() {
  const env = process.env;
  const missing = ['COFFER_BIN', 'S3_ENDPOINT', 'COFFER_SERVER', 'COFFER_ADMIN_PASSWORD', 'COFFER_TOKEN_FILE', 'COFFER_WORK']
    .filter((k) => !env[k]);
  if (missing.length) throw new Error(`${missing.join(', ')} not set: run the suite with test/browser/run.sh`);
  const bin = env.COFFER_BIN;
  const s3 = env.S3_ENDPOINT;
  const consoleURL = env.COFFER_SERVER;
  const work = env.COFFER_WORK;

  // The AWS CLI must not read this machine's profiles or environment.
  const awsDir = join(work, 'aws');
  mkdirSync(awsDir, { recursive: true });
  writeFileSync(join(awsDir, 'config'), '');
  writeFileSync(join(awsDir, 'credentials'), '');
  const awsEnv = Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('AWS_')));
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
    password: env.COFFER_ADMIN_PASSWORD,
    // admin runs `coffer admin` as the operator, by its API token (never throttled).
    async admin(...args) {
      const r = await run(bin, ['admin', '--server', consoleURL, '--token-file', env.COFFER_TOKEN_FILE, ...args]);
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
  };
}
