// A real OpenFeature client against the console's OFREP endpoints: @openfeature/server-sdk with
// @openfeature/ofrep-provider (installed as dev dependencies of wwwroot-assets), as an AI service
// written in Node.js would use them. Used by OfrepJourneyTests; runnable by hand:
//
//   OPSCONSOLE_API_KEY=ocs_demo_… node e2e/OpsConsole.E2E/ofrep-client.mjs \
//     --base-url http://localhost:5080 --flags support-reply-draft,ticket-triage < units.txt
//
// Prints one JSON line per flag and unit: {flag, unit, value, variant, reason, errorCode, flagMetadata}.
// With --watch-ms N it evaluates the flags for the units again every N ms and prints one line per
// round, {round, at, answers: [...]}, until --max-seconds pass (or it is stopped).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

// The packages live in wwwroot-assets/node_modules (one package.json, one lock file, `npm ci` in build.sh).
const require = createRequire(new URL('../../wwwroot-assets/package.json', import.meta.url));
const { OpenFeature } = require('@openfeature/server-sdk');
const { OFREPProvider } = require('@openfeature/ofrep-provider');

const { values: args } = parseArgs({
  options: {
    'base-url': { type: 'string' },
    flags: { type: 'string' },
    'units-file': { type: 'string' },
    'watch-ms': { type: 'string' },
    'max-seconds': { type: 'string', default: '60' },
  },
});
const key = process.env.OPSCONSOLE_API_KEY;
if (!args['base-url'] || !args.flags || !key) {
  console.error('usage: OPSCONSOLE_API_KEY=<key> node ofrep-client.mjs --base-url <url> --flags a,b [--units-file f] [--watch-ms n --max-seconds s]');
  process.exit(2);
}
const flags = args.flags.split(',').filter((f) => f.length > 0);
const units = readFileSync(args['units-file'] ?? 0, 'utf8').split('\n').map((u) => u.trim()).filter((u) => u.length > 0);

// The server-side provider asks the console on every evaluation (no cache, no polling): a change is
// seen by the next evaluation after it. The key goes as a bearer token, a header the provider sends as given.
await OpenFeature.setProviderAndWait(new OFREPProvider({
  baseUrl: args['base-url'],
  headers: { Authorization: `Bearer ${key}` },
}));
const client = OpenFeature.getClient('ofrep-e2e');

async function evaluate(flag, unit) {
  const details = await client.getBooleanDetails(flag, false, { targetingKey: unit });
  return {
    flag,
    unit,
    value: details.value,
    variant: details.variant ?? null,
    reason: details.reason ?? null,
    errorCode: details.errorCode ?? null,
    flagMetadata: details.flagMetadata ?? {},
  };
}

async function round() {
  const answers = [];
  for (const flag of flags) {
    for (const unit of units) {
      answers.push(await evaluate(flag, unit));
    }
  }
  return answers;
}

if (args['watch-ms'] === undefined) {
  for (const answer of await round()) {
    process.stdout.write(JSON.stringify(answer) + '\n');
  }
} else {
  const every = Number(args['watch-ms']);
  const until = Date.now() + Number(args['max-seconds']) * 1000;
  for (let n = 0; Date.now() < until; n++) {
    const at = Date.now();
    const answers = await round();
    process.stdout.write(JSON.stringify({ round: n, at, answers }) + '\n');
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, at + every - Date.now())));
  }
}
await OpenFeature.close();
