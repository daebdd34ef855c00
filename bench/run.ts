// `npm run bench`: runs every bench/<area>.ts (each exports `run()` and prints its own figures).
// Figures are counts and ratios measured in one run where possible: these machines are shared and noisy.
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const areas = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3))
  .filter((area) => only.length === 0 || only.includes(area))
  .sort();

for (const area of areas) {
  console.log(`\n== ${area} ==`);
  const mod = (await import(pathToFileURL(`${dir}${area}.ts`).href)) as { run: () => Promise<void> };
  await mod.run();
}
