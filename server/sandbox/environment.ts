/**
 * The environment a worker starts with: an allow-list, in both sandbox modes. The
 * broker's own environment may hold the token (ROBOT_CONTROL_TOKEN, the container
 * way) and anything else its operator set; robot code gets none of it unless named
 * here or in `worker.env_allow`. Nothing named ROBOT_CONTROL_* ever passes.
 */

/** Host variables passed through by name. */
export const ENV_ALLOW: readonly string[] = [
  'PATH', // finds python3 and whatever robot code runs
  'LANG', 'LANGUAGE', 'TZ', // text and time as the host has them
  'NODE_ENV', 'NODE_OPTIONS', // the operator's Node settings (the bench's profiler rides on NODE_OPTIONS)
  'PYENV_ROOT', 'PYENV_VERSION', // the same Python as the broker's when python3 is a pyenv shim
  'SSL_CERT_FILE', 'SSL_CERT_DIR', // TLS to the robot's cloud services
];
/** Host variables passed through by prefix. */
export const ENV_ALLOW_PREFIXES: readonly string[] = ['LC_'];
/** Never passed, whatever the config says. */
export const ENV_NEVER_PREFIX = 'ROBOT_CONTROL_';

export interface EnvOptions {
  /** More host variable names to pass (worker.env_allow). */
  extra: readonly string[];
  /** Set last, over anything from the host (HOME, TMPDIR, ROBOT_DATA_DIR). */
  fixed: Record<string, string>;
}

export function workerEnvironment(host: NodeJS.ProcessEnv, o: EnvOptions): Record<string, string> {
  const names = new Set([...ENV_ALLOW, ...o.extra]);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(host)) {
    if (v === undefined || k.startsWith(ENV_NEVER_PREFIX)) continue;
    if (names.has(k) || ENV_ALLOW_PREFIXES.some((p) => k.startsWith(p))) env[k] = v;
  }
  return { ...env, ...o.fixed };
}
