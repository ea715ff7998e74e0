import { ConfigError, type GatewayConfig, type WorkerConfig, loadGatewayConfig, loadWorkerConfig } from '@wxq/config';
import { type CheckResult, fail, ok } from './check.js';

export interface LoadedConfigs {
  readonly worker: WorkerConfig | undefined;
  readonly gateway: GatewayConfig | undefined;
}

/** Both apps' configurations from one environment: what doctor checks the deployment against. */
export function checkConfig(env: Readonly<Record<string, string | undefined>>): {
  results: CheckResult[];
  configs: LoadedConfigs;
} {
  const results: CheckResult[] = [];
  const load = <C>(app: string, loader: (e: typeof env) => C): C | undefined => {
    try {
      return loader(env);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const issues = err.issues.map((issue) => `${issue.variable}: ${issue.problem}`).join('; ');
      results.push(fail(`${app} configuration invalid: ${issues}`, 'set these variables (README.md, Configuration)'));
      return undefined;
    }
  };
  const worker = load('worker', loadWorkerConfig);
  const gateway = load('gateway', loadGatewayConfig);
  if (worker !== undefined && gateway !== undefined) {
    const accounts = worker.accounts.length;
    results.push(ok(`configuration valid for gateway and worker (${accounts} account${accounts === 1 ? '' : 's'})`));
  }
  return { results, configs: { worker, gateway } };
}
