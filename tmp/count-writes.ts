import net from "node:net";

const counts = new Map<string, { n: number; bytes: number; chunks: number }>();
const proto = net.Socket.prototype as unknown as {
  _writeGeneric: (writev: boolean, data: unknown, enc: string, cb: unknown) => unknown;
};
const orig = proto._writeGeneric;
proto._writeGeneric = function (this: net.Socket, writev: boolean, data: unknown, enc: string, cb: unknown) {
  const key = this.remotePort === 5432 ? "pg" : "other";
  const c = counts.get(key) ?? { n: 0, bytes: 0, chunks: 0 };
  c.n++;
  const list = writev ? (data as { chunk: Buffer | string }[]).map((x) => x.chunk ?? x) : [data];
  c.chunks += list.length;
  for (const x of list) c.bytes += typeof x === "string" ? x.length : ((x as Buffer).length ?? 0);
  counts.set(key, c);
  return orig.call(this, writev, data, enc, cb);
};
export function resetWrites() {
  counts.clear();
}
export function printWrites(label: string, per: number) {
  console.log(
    `writes during ${label} per unit: ` +
      [...counts]
        .map(
          ([k, c]) =>
            `${k} ${(c.n / per).toFixed(3)} calls, ${(c.bytes / c.n).toFixed(0)} bytes each (total ${c.n})`,
        )
        .join("; "),
  );
}
