// Scratch: main-thread cost of element variants (patched at bundle time), alternated in one run.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { build, type Plugin } from 'esbuild';
import { chromium } from 'playwright-core';
import { createAgentServer } from '../server/agent-server.ts';
import { CHROMIUM_ARGS, findChromium } from '../test/support/browsers.mjs';
import { median } from './stats.ts';

type Patch = [file: string, search: string, replace: string];
const VARIANTS: Record<string, Patch[]> = JSON.parse(readFileSync(process.argv[2]!, 'utf8'));
const rounds = Number(process.argv[3] ?? 2);
const seconds = Number(process.argv[4] ?? 10);
const HERE = new URL('.', import.meta.url).pathname;
function patcher(patches: Patch[]): Plugin {
  return { name: 'patch', setup(b) { b.onLoad({ filter: /\/src\/.*\.ts$/ }, ({ path }) => { let text = readFileSync(path, 'utf8'); for (const [file, search, replace] of patches) { if (!path.endsWith(file)) continue; if (!text.includes(search)) throw new Error(`patch not found in ${file}: ${search}`); text = text.replace(search, replace); } return { contents: text, loader: 'ts' }; }); } };
}
const bundles: Record<string, string> = {};
for (const [name, patches] of Object.entries(VARIANTS)) {
  const r = await build({ entryPoints: [`${HERE}page/main.ts`], bundle: true, minify: true, format: 'esm', target: 'es2022', write: false, plugins: [patcher(patches)], define: { 'process.env.NODE_ENV': '"production"' } });
  bundles[name] = r.outputFiles[0]!.text;
}
const html = readFileSync(`${HERE}page/index.html`, 'utf8');
const agent = await createAgentServer({ fallback: (req, res) => { const m = /^\/bench-(\w+)\.js/.exec(req.url!); const v = new URL(req.url!, 'http://x').searchParams.get('v'); res.writeHead(200, { 'Content-Type': m ? 'text/javascript' : 'text/html', 'Cache-Control': 'no-store' }); res.end(m ? bundles[m[1]!] : html.replace('/bench.js', `/bench-${v}.js`)); } });
const browser = await chromium.launch({ executablePath: await findChromium(), headless: true, args: [...CHROMIUM_ARGS, '--autoplay-policy=no-user-gesture-required'] });
const context = await browser.newContext({ permissions: ['microphone'] });
const names = ['floor', 'off', ...Object.keys(VARIANTS)];
const METRICS = ['TaskDuration', 'ScriptDuration', 'RecalcStyleDuration', 'LayoutDuration', 'RecalcStyleCount', 'LayoutCount'];
const bcdp = await browser.newBrowserCDPSession();
const { readFileSync: rf } = await import('node:fs');
const mainNs = (pid: number) => { try { return Number(rf(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]); } catch { return 0; } };
async function rendererOf(page: any): Promise<number> {
  const ids: number[] = ((await bcdp.send('SystemInfo.getProcessInfo' as any)) as any).processInfo.filter((p: any) => p.type === 'renderer').map((p: any) => p.id);
  const t0 = ids.map(mainNs);
  await page.evaluate(() => { const end = performance.now() + 300; while (performance.now() < end); });
  const d = ids.map((id, i) => mainNs(id) - t0[i]!);
  return ids[d.indexOf(Math.max(...d))]!;
}
const results: Record<string, Record<string, number>[]> = Object.fromEntries(names.map((n) => [n, []]));
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < names.length; i++) {
    const name = names[(round + i) % names.length]!;
    const page = await context.newPage();
    const bundle = name === 'floor' || name === 'off' ? Object.keys(VARIANTS)[0] : name;
    await page.emulateMedia({ reducedMotion: name === 'off' ? 'reduce' : 'no-preference' });
    await page.goto(`${agent.url}/?v=${bundle}`);
    await page.waitForFunction(() => !!(window as any).bench);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    // warm-up call like the bench
    await page.evaluate(() => (window as any).bench.element([], false));
    await sleep(500);
    await page.evaluate(() => (window as any).bench.hangup());
    await sleep(300);
    if (name === 'floor') await page.evaluate(() => (window as any).bench.bareBar(20));
    else await page.evaluate(() => (window as any).bench.element([], false));
    await page.evaluate(() => { (window as any).writes = 0; const el = document.querySelector('voice-call')!; const mo = new MutationObserver((r) => ((window as any).writes += r.length)); for (const m of el.shadowRoot!.querySelectorAll('[part~=level]')) mo.observe(m, { attributeFilter: ['style'] }); });
    await sleep(1000);
    const get = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.filter((m) => METRICS.includes(m.name)).map((m) => [m.name, m.value]));
    const w0 = await page.evaluate(() => (window as any).writes);
    const before = await get();
    const ids0: number[] = ((await bcdp.send('SystemInfo.getProcessInfo' as any)) as any).processInfo.filter((p: any) => p.type === 'renderer').map((p: any) => p.id);
    const c0 = new Map(ids0.map((id) => [id, mainNs(id)]));
    await sleep(seconds * 1000);
    const after = await get();
    let cpuSum = 0; for (const [id, v] of c0) cpuSum += mainNs(id) - v;
    const w1 = await page.evaluate(() => (window as any).writes);
    const row: Record<string, number> = { writes: (w1 - w0) / seconds, cpu: cpuSum / 1e6 / seconds };
    for (const k of METRICS) row[k] = ((after[k]! - before[k]!) * (k.endsWith('Count') ? 1 : 1000)) / seconds;
    results[name]!.push(row);
    await page.evaluate(() => (window as any).bench.hangup());
    await page.close();
    console.error(`${name}: ${row.TaskDuration!.toFixed(2)} ms/s, cpu ${row.cpu!.toFixed(2)}`);
  }
}
const floor = median(results.floor!.map((r) => r.TaskDuration!));
const floorCpu = median(results.floor!.map((r) => r.cpu!));
for (const name of names) {
  const list = results[name]!;
  const m = (k: string) => median(list.map((r) => r[k]!));
  console.log(`${name.padEnd(16)} task ${m('TaskDuration').toFixed(2).padStart(6)} (${list.map((r) => r.TaskDuration!.toFixed(1)).join(', ')}) x${(m('TaskDuration') / floor).toFixed(3)} cpu ${m('cpu').toFixed(2)} (${list.map((r) => r.cpu!.toFixed(1)).join(', ')}) x${(m('cpu') / floorCpu).toFixed(3)} script ${m('ScriptDuration').toFixed(2)} style ${m('RecalcStyleDuration').toFixed(2)}/${m('RecalcStyleCount').toFixed(1)} layout ${m('LayoutDuration').toFixed(2)}/${m('LayoutCount').toFixed(1)} writes/s ${m('writes').toFixed(1)}`);
}
await browser.close();
await agent.close();
