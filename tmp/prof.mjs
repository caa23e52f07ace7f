import { readFileSync } from "node:fs";

const p = JSON.parse(readFileSync(process.argv[2], "utf8"));
const nodes = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map();
const dt = p.timeDeltas;
let total = 0;
for (let i = 0; i < p.samples.length; i++) {
  const d = dt[i] ?? 0;
  total += d;
  self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + d);
}
const key = (n) =>
  `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.split("/").slice(-2).join("/")}:${n.callFrame.lineNumber + 1}`;
const incl = new Map();
const selfBy = new Map();
const marks = (
  process.argv[3] ?? "runBatch,recordOutcomes,gatherFacts,claimUnits,apply,handleScim,patch,createBridge"
).split(",");
const markT = new Map();
for (const [id, t] of self) {
  const n = nodes.get(id);
  selfBy.set(key(n), (selfBy.get(key(n)) ?? 0) + t);
  const seen = new Set();
  let cur = id;
  let firstMark;
  while (cur !== undefined) {
    const nn = nodes.get(cur);
    const k = key(nn);
    if (!seen.has(k)) {
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + t);
    }
    cur = parent.get(cur);
  }
}
const top = (m, n) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(
      ([k, v]) =>
        `${(v / 1000).toFixed(0).padStart(7)} ms ${((100 * v) / total).toFixed(1).padStart(5)}% ${k}`,
    )
    .join("\n");
console.log("total", (total / 1000).toFixed(0), "ms");
console.log("--- self");
console.log(top(selfBy, 35));
console.log("--- inclusive");
console.log(top(incl, Number(process.env.N ?? 80)));
