// The shipped dashboard (deploy/grafana/wxq.json) and alerts (deploy/prometheus/alerts.yml) against
// what a running gateway and worker really export: both files parse, promtool accepts the rules and
// the scrape config when it is installed, and every wxq metric they name is one the apps declare.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadGatewayConfig, loadWorkerConfig } from '@wxq/config';
import { type RunningGateway, startGateway } from '@wxq/gateway';
import { demoHandlers } from '@wxq/handlers';
import { createLogger } from '@wxq/logging';
import { REPO_ROOT, createLogSink, signPlaintextPush } from '@wxq/testing';
import { type WechatApiSimulator, createMessage, startWechatApiSimulator } from '@wxq/wechat-sim';
import { buildInboundXml } from '@wxq/wechat';
import { type RunningWorkerWithAdmin, startWorkerWithAdmin } from '@wxq/worker';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const APP_ID = 'wx0b5e1c9d2a7f3e41';
const APP_SECRET = 'observabilitysecret0123456789abc';
const TOKEN = 'observabilityToken7';
const PASSWORD = 'scrape-password-1';
const DASHBOARD = join(REPO_ROOT, 'deploy/grafana/wxq.json');
const ALERTS = join(REPO_ROOT, 'deploy/prometheus/alerts.yml');
const ALERT_TESTS = join(REPO_ROOT, 'deploy/prometheus/alerts.test.yml');
const SCRAPE_CONFIG = join(REPO_ROOT, 'deploy/prometheus/prometheus.yml');
const run = promisify(execFile);

let sim: WechatApiSimulator;
let gateway: RunningGateway;
let worker: RunningWorkerWithAdmin;
/** Metric family -> its TYPE, from both apps' /metrics. */
const families = new Map<string, string>();

beforeAll(async () => {
  sim = await startWechatApiSimulator({ accounts: [{ appId: APP_ID, appSecret: APP_SECRET }] });
  const logger = createLogger({ level: 'warn', name: 'observability-e2e' }, createLogSink().stream);
  const env = { REDIS_URL: inject('redisUrl'), WXQ_QUEUE_PREFIX: `{test-${randomUUID()}}`, WECHAT_APPID: APP_ID };
  gateway = await startGateway(
    loadGatewayConfig({
      ...env,
      WECHAT_TOKEN: TOKEN,
      HOST: '127.0.0.1',
      PORT: '0',
      ADMIN_PORT: '0',
      ADMIN_PASSWORD: PASSWORD,
    }),
    { logger },
  );
  worker = await startWorkerWithAdmin(
    loadWorkerConfig({ ...env, WECHAT_APPSECRET: APP_SECRET, WECHAT_API_BASE_URL: sim.url, ADMIN_PORT: '0' }),
    { logger, handlers: demoHandlers },
  );
  // One push through both apps, so the labelled families have samples too.
  const message = createMessage.text('hello', { toUserName: 'gh_observability' });
  sim.recordInteraction({ appId: APP_ID, message });
  const push = signPlaintextPush(buildInboundXml(message), { account: { appId: APP_ID, token: TOKEN } });
  const answer = await fetch(`http://127.0.0.1:${gateway.publicPort}/wechat?${push.query}`, {
    method: 'POST',
    body: push.body,
  });
  expect(await answer.text()).toBe('success');
  await sim.waitForSends(1, 10_000);

  const authorization = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;
  const scrapes = await Promise.all([
    fetch(`http://127.0.0.1:${String(gateway.adminPort)}/metrics`, { headers: { authorization } }),
    fetch(`http://127.0.0.1:${worker.adminPort}/metrics`),
  ]);
  for (const scrape of scrapes) {
    expect(scrape.status).toBe(200);
    for (const [, name, type] of (await scrape.text()).matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      families.set(name ?? '', type ?? '');
    }
  }
});

afterAll(async () => {
  await worker.stop();
  await gateway.stop();
  await sim.stop();
});

/** Every wxq metric a PromQL expression names, as the family it belongs to. */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\bwxq_[a-zA-Z0-9_]+/g)].map(([name]) => {
    const base = name.replace(/_(?:bucket|count|sum)$/, '');
    return base !== name && families.get(base) === 'histogram' ? base : name;
  });
}

/** Every string under a `expr` or `query` key of the dashboard, at any depth. */
function dashboardQueries(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(dashboardQueries);
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) =>
    (key === 'expr' || key === 'query') && typeof value === 'string' ? [value] : dashboardQueries(value),
  );
}

interface Panel {
  readonly id: number;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly panels?: Panel[];
}

interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly labels: { readonly severity: string };
  readonly annotations: { readonly summary: string };
}

async function alertRules(): Promise<AlertRule[]> {
  const file = parseYaml(await readFile(ALERTS, 'utf8')) as { groups: { rules: AlertRule[] }[] };
  return file.groups.flatMap((group) => group.rules);
}

async function hasPromtool(): Promise<boolean> {
  return run('promtool', ['--version']).then(
    () => true,
    () => false,
  );
}

describe('deploy/grafana/wxq.json', () => {
  it('parses, and every wxq metric its panels query is one the gateway or worker exports', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { title: string; panels: unknown[] };
    expect(dashboard.title).toBe('wxq');
    const queries = dashboardQueries(dashboard);
    expect(queries.length).toBeGreaterThan(10);
    const named = new Set(queries.flatMap(metricsIn));
    expect([...named].filter((name) => !families.has(name))).toEqual([]);
    // It shows the issue's own: answer time, queue states and lag, sends, handler time, tokens.
    for (const name of [
      'wxq_gateway_push_answer_seconds',
      'wxq_queue_jobs',
      'wxq_queue_oldest_waiting_seconds',
      'wxq_worker_sends_total',
      'wxq_worker_handler_duration_seconds',
      'wxq_worker_token_age_seconds',
      'wxq_worker_token_refreshes_total',
      'wxq_notifications_total',
    ]) {
      expect(named.has(name), name).toBe(true);
    }
    // The notify queue (docs/notifications.md) by the name the worker labels it with.
    expect(queries.some((query) => /wxq_queue_jobs\{[^}]*queue="notify"/.test(query))).toBe(true);
  });

  it('gives every panel its own id and a place no other panel overlaps', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: Panel[] };
    const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
    const ids = panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    const overlapping = panels.flatMap((a, i) =>
      panels.slice(i + 1).flatMap((b) => {
        const [p, q] = [a.gridPos, b.gridPos];
        const overlap = p.x < q.x + q.w && q.x < p.x + p.w && p.y < q.y + q.h && q.y < p.y + p.h;
        return overlap ? [`${String(a.id)} and ${String(b.id)}`] : [];
      }),
    );
    expect(overlapping).toEqual([]);
    for (const panel of panels) expect(panel.gridPos.x + panel.gridPos.w, String(panel.id)).toBeLessThanOrEqual(24);
  });
});

describe('deploy/prometheus/alerts.yml', () => {
  it('parses, each rule has a severity and a summary, and every wxq metric it names is exported', async () => {
    const rules = await alertRules();
    expect(rules.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining([
        'WxqPushAckSlow',
        'WxqQueueLag',
        'WxqFailedJobsRising',
        'WxqTokenRefreshFailing',
        'WxqDailyQuotaReached',
      ]),
    );
    for (const rule of rules) {
      expect(rule.labels.severity, rule.alert).toMatch(/^(warning|critical)$/);
      expect(rule.annotations.summary, rule.alert).not.toBe('');
      const named = metricsIn(rule.expr);
      expect(named.length, rule.alert).toBeGreaterThan(0);
      expect(
        named.filter((name) => !families.has(name)),
        rule.alert,
      ).toEqual([]);
    }
  });

  it('passes promtool check rules and its unit tests (each alert fires when it should), and the scrape config promtool check config', async (context) => {
    if (!(await hasPromtool())) {
      console.log('promtool is not installed (Debian: apt-get install prometheus): rules not checked by promtool');
      context.skip();
    }
    const rules = await run('promtool', ['check', 'rules', ALERTS]);
    expect(rules.stdout).toMatch(/SUCCESS: \d+ rules found/);
    // Exits non-zero (and so rejects) when an alert fires when it should not, or not when it should.
    const unitTests = await run('promtool', ['test', 'rules', ALERT_TESTS]);
    expect(unitTests.stdout).toContain('SUCCESS');
    const config = await run('promtool', ['check', 'config', '--syntax-only', SCRAPE_CONFIG]);
    expect(config.stdout).toMatch(/SUCCESS/);
  });
});
