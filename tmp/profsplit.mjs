import { readFileSync } from "node:fs";

const p = JSON.parse(readFileSync(process.argv[2], "utf8"));
const nodes = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const cat = new Map();
let total = 0;
const bucket = (id) => {
  let cur = id;
  while (cur !== undefined) {
    const u = nodes.get(cur).callFrame.url;
    if (u.includes("/emulators/")) return "emulator";
    if (u.includes("/src/targets/")) return "targets";
    if (u.includes("/src/sync/")) return "sync";
    if (u.includes("/src/store/")) return "store";
    cur = parent.get(cur);
  }
  return "other";
};
const selfBy = new Map();
for (let i = 0; i < p.samples.length; i++) {
  const n = nodes.get(p.samples[i]);
  if (n.callFrame.functionName === "(idle)") continue;
  const d = p.timeDeltas[i] ?? 0;
  total += d;
  const b = bucket(p.samples[i]);
  cat.set(b, (cat.get(b) ?? 0) + d);
  const k = `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.split("/").slice(-2).join("/")}:${n.callFrame.lineNumber + 1}`;
  selfBy.set(k, (selfBy.get(k) ?? 0) + d);
}
console.log("non-idle ms", (total / 1000).toFixed(0));
for (const [k, v] of [...cat].sort((a, b) => b[1] - a[1]))
  console.log(k, (v / 1000).toFixed(0), "ms", ((100 * v) / total).toFixed(1) + "%");
console.log(
  [...selfBy]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([k, v]) => `${(v / 1000).toFixed(0).padStart(6)} ${k}`)
    .join("\n"),
);
