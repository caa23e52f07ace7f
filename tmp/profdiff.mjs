import { readFileSync } from "node:fs";

function load(f, reqs) {
  const p = JSON.parse(readFileSync(f, "utf8"));
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < p.samples.length; i++) {
    const n = nodes.get(p.samples[i]);
    const k = `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.split("/").slice(-2).join("/")}:${n.callFrame.lineNumber + 1}`;
    self.set(k, (self.get(k) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000 / reqs);
  }
  return self;
}
const [fa, ra, fb, rb] = process.argv.slice(2);
const a = load(fa, Number(ra)),
  b = load(fb, Number(rb));
const keys = new Set([...a.keys(), ...b.keys()]);
const rows = [...keys]
  .map((k) => [k, a.get(k) ?? 0, b.get(k) ?? 0])
  .sort((x, y) => y[2] - y[1] - (x[2] - x[1]));
let ta = 0,
  tb = 0;
for (const [, x, y] of rows) {
  if (!/\(idle\)/.test(rows)) {
  }
}
for (const [k, x, y] of rows)
  if (!k.startsWith("(idle)")) {
    ta += x;
    tb += y;
  }
console.log(`total non-idle ms/req: ${ta.toFixed(3)} -> ${tb.toFixed(3)}`);
for (const [k, x, y] of rows.slice(0, 40))
  console.log(`${(y - x).toFixed(4).padStart(8)}  ${x.toFixed(4)} -> ${y.toFixed(4)}  ${k}`);
