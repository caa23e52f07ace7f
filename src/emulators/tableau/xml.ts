/**
 * Just enough XML for Tableau's tsRequest/tsResponse documents, which are attribute-heavy and shallow.
 * Both directions map to the same plain-object shape the JSON API uses: attributes become string
 * properties, child elements become nested objects, and repeated children become arrays.
 */

export type JsonObject = { [k: string]: JsonValue };
export type JsonValue = string | number | boolean | null | undefined | JsonObject | JsonValue[];

/** Elements whose string value is element text, not an attribute. */
const TEXT_ELEMENTS = new Set(["summary", "detail", "restApiVersion"]);

export function escapeXml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => `&${{ "&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "apos" }[c]};`,
  );
}

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_m, ent: string) => {
    if (ent[0] === "#")
      return String.fromCodePoint(ent[1] === "x" ? Number.parseInt(ent.slice(2), 16) : Number(ent.slice(1)));
    return (
      ({ amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" } as Record<string, string>)[ent.toLowerCase()] ??
      ""
    );
  });
}

/** Serialises one element: primitives are attributes, objects and arrays child elements, `value` the text. */
export function elementToXml(name: string, obj: JsonObject, rootAttrs = ""): string {
  let attrs = rootAttrs;
  let children = "";
  let text = "";
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) {
      for (const item of v) children += elementToXml(k, typeof item === "object" ? (item as JsonObject) : {});
    } else if (typeof v === "object") {
      children += elementToXml(k, v);
    } else if (k === "value") {
      text = escapeXml(String(v));
    } else if (TEXT_ELEMENTS.has(k)) {
      children += `<${k}>${escapeXml(String(v))}</${k}>`;
    } else {
      attrs += ` ${k}="${escapeXml(String(v))}"`;
    }
  }
  return children || text ? `<${name}${attrs}>${text}${children}</${name}>` : `<${name}${attrs}/>`;
}

export function tsResponseXml(body: JsonObject): string {
  const ns = ' xmlns="http://tableau.com/api" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
  return `<?xml version='1.0' encoding='UTF-8'?>${elementToXml("tsResponse", body, ns)}`;
}

const TOKEN =
  /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[([\s\S]*?)\]\]>|<(\/?)([\w:.-]+)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)/g;
const ATTR = /([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

interface Frame {
  name: string;
  obj: JsonObject;
  text: string;
}

/** Parses an XML document into the JSON-equivalent shape of its root's content. Throws on malformed XML. */
export function parseXml(xml: string): { root: string; body: JsonObject } {
  const stack: Frame[] = [];
  let result: { root: string; body: JsonObject } | undefined;
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(xml); m !== null; m = TOKEN.exec(xml)) {
    const [whole, cdata, closing, name, attrText, selfClosing, text] = m;
    if (whole.startsWith("<!--") || whole.startsWith("<?")) continue;
    const top = stack[stack.length - 1];
    if (cdata !== undefined || text !== undefined) {
      const t = cdata ?? unescapeXml(text ?? "");
      if (t.trim() !== "") {
        if (!top) throw new Error("text outside the root element");
        top.text += t;
      }
      continue;
    }
    if (!name) throw new Error("malformed XML");
    const local = name.includes(":") ? name.slice(name.indexOf(":") + 1) : name;
    if (closing) {
      const frame = stack.pop();
      if (!frame || frame.name !== local) throw new Error(`unexpected </${name}>`);
      finish(frame, stack, (r) => {
        result = r;
      });
      continue;
    }
    const obj: JsonObject = {};
    ATTR.lastIndex = 0;
    for (let a = ATTR.exec(attrText ?? ""); a !== null; a = ATTR.exec(attrText ?? "")) {
      const attr = a[1] ?? "";
      if (attr === "xmlns" || attr.startsWith("xmlns:") || attr.includes(":")) continue;
      obj[attr] = unescapeXml(a[2] ?? a[3] ?? "");
    }
    const frame: Frame = { name: local, obj, text: "" };
    if (selfClosing) {
      finish(frame, stack, (r) => {
        result = r;
      });
    } else {
      stack.push(frame);
    }
  }
  if (stack.length > 0 || !result) throw new Error("unterminated XML document");
  return result;
}

function finish(
  frame: Frame,
  stack: Frame[],
  setRoot: (r: { root: string; body: JsonObject }) => void,
): void {
  const parent = stack[stack.length - 1];
  const value: JsonValue = frame.text && Object.keys(frame.obj).length === 0 ? frame.text : frame.obj;
  if (frame.text && typeof value === "object") frame.obj.value = frame.text;
  if (!parent) {
    setRoot({ root: frame.name, body: frame.obj });
    return;
  }
  const existing = parent.obj[frame.name];
  if (existing === undefined) parent.obj[frame.name] = value;
  else if (Array.isArray(existing)) existing.push(value);
  else parent.obj[frame.name] = [existing, value];
}
