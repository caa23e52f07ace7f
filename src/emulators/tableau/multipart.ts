/**
 * Just enough MIME multipart for the CSV user import and delete calls: TSC sends `multipart/mixed`, the
 * migration SDK `multipart/form-data`; both carry `Content-Disposition: name="…"` on each part.
 */
import { badRequest } from "./errors.ts";

export interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  body: string;
}

export function isMultipart(contentType: string | undefined): boolean {
  return /^multipart\/(mixed|form-data)\b/i.test(contentType ?? "");
}

/** The parts by name; 400000 when the body is not a well-formed multipart document. */
export function parseMultipart(raw: string, contentType: string | undefined): Map<string, Part> {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? "");
  const b = boundary?.[1] ?? boundary?.[2];
  if (!b) throw badRequest("The multipart request has no boundary in its Content-Type.");
  const parts = new Map<string, Part>();
  const sections = raw.split(`--${b}`);
  // sections[0] is the preamble; the last one starts with "--" (the closing delimiter).
  if (sections.length < 3 || !sections[sections.length - 1]?.startsWith("--"))
    throw badRequest("The multipart request is not terminated by its closing boundary.");
  for (const section of sections.slice(1, -1)) {
    const text = section.replace(/^\r?\n/, "").replace(/\r?\n$/, "");
    const split = /\r?\n\r?\n/.exec(text);
    if (!split) throw badRequest("A part of the multipart request has no header/body separator.");
    const head = text.slice(0, split.index);
    const body = text.slice(split.index + split[0].length);
    const disposition = /^content-disposition:(.*)$/im.exec(head)?.[1] ?? "";
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    if (!name) throw badRequest("A part of the multipart request has no name.");
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    const type = /^content-type:\s*(.*)$/im.exec(head)?.[1]?.trim();
    parts.set(name, {
      name,
      body,
      ...(filename !== undefined ? { filename } : {}),
      ...(type ? { contentType: type } : {}),
    });
  }
  return parts;
}
