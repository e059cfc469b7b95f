// Scratch: element variants patched at bundle time, alternated fresh page by fresh page in one run.
import { readFileSync } from 'node:fs';
import { build, type Plugin } from 'esbuild';
import { chromium } from 'playwright-core';
import { createAgentServer } from '../server/agent-server.ts';
import { CHROMIUM_ARGS, findChromium } from '../test/support/browsers.mjs';
import { spread } from './stats.ts';

type Patch = [file: string, search: string, replace: string];
const VARIANTS: Record<string, Patch[]> = JSON.parse(readFileSync(process.argv[2]!, 'utf8'));
const pages = Number(process.argv[3] ?? 15);
const HERE = new URL('.', import.meta.url).pathname;

function patcher(patches: Patch[]): Plugin {
  return {
    name: 'patch',
    setup(b) {
      b.onLoad({ filter: /\/src\/.*\.ts$/ }, ({ path }) => {
        let text = readFileSync(path, 'utf8');
        for (const [file, search, replace] of patches) {
          if (!path.endsWith(file)) continue;
          if (!text.includes(search)) throw new Error(`patch not found in ${file}: ${search}`);
          text = text.replace(search, replace);
        }
        return { contents: text, loader: 'ts' };
      });
    },
  };
}
const bundles: Record<string, string> = {};
for (const [name, patches] of Object.entries(VARIANTS)) {
  const r = await build({ entryPoints: [`${HERE}page/main.ts`], bundle: true, minify: true, format: 'esm', target: 'es2022', write: false, plugins: [patcher(patches)], define: { 'process.env.NODE_ENV': '"production"' } });
  bundles[name] = r.outputFiles[0]!.text;
}
const html = readFileSync(`${HERE}page/index.html`, 'utf8');
const agent = await createAgentServer({
  fallback: (req, res) => {
    const m = /^\/bench-(\w+)\.js/.exec(req.url!);
    const v = new URL(req.url!, 'http://x').searchParams.get('v');
    res.writeHead(200, { 'Content-Type': m ? 'text/javascript' : 'text/html', 'Cache-Control': 'no-store' });
    res.end(m ? bundles[m[1]!] : html.replace('/bench.js', `/bench-${v}.js`));
  },
});
const browser = await chromium.launch({ executablePath: await findChromium(), headless: true, args: [...CHROMIUM_ARGS, '--autoplay-policy=no-user-gesture-required'] });
const context = await browser.newContext({ permissions: ['microphone'] });
const names = ['baseline', ...Object.keys(VARIANTS)];
const results: Record<string, { post: number; connected: number; mic: number; offer: number; answer: number }[]> = Object.fromEntries(names.map((n) => [n, []]));
for (let round = 0; round < pages; round++) {
  for (let i = 0; i < names.length; i++) {
    const name = names[(round + i) % names.length]!;
    const page = await context.newPage();
    try {
      await page.goto(`${agent.url}/?v=${name === 'baseline' ? Object.keys(VARIANTS)[0] : name}`);
      await page.waitForFunction(() => !!(window as any).bench);
      const r: any = await page.evaluate((b) => (b ? (window as any).bench.baseline([]) : (window as any).bench.element([], false, 0)), name === 'baseline');
      await page.evaluate(() => (window as any).bench.hangup());
      const rel = (k: string) => (r.phases[k] ?? NaN) - r.start;
      results[name]!.push({ post: r.post - r.start, connected: r.connected - r.start, mic: rel('mic'), offer: rel('offer'), ice: rel('ice'), postmark: rel('post'), answer: rel('answer') } as any);
    } catch (e) {
      console.error(name, (e as Error).message.split('\n')[0]);
    } finally {
      await page.close();
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}
const base = spread(results.baseline!.map((r) => r.connected)).median;
const basePost = spread(results.baseline!.map((r) => r.post)).median;
for (const name of names) {
  const list = results[name]!;
  const m = (k: keyof (typeof list)[0]) => spread(list.map((r) => r[k])).median.toFixed(0).padStart(5);
  const c = spread(list.map((r) => r.connected));
  console.log(`${name.padEnd(14)} n=${list.length} mic ${m('mic')} offer ${m('offer')} ice ${m('ice' as any)} postmark ${m('postmark' as any)} post ${m('post')} answer ${m('answer')} connected ${m('connected')} [${c.p25.toFixed(0)}–${c.p75.toFixed(0)}]  post-vs-base ${(spread(list.map((r) => r.post)).median - basePost).toFixed(1)}  ratio ${(c.median / base).toFixed(3)}`);
}
await browser.close();
await agent.close();
