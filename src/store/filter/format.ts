import type { AttributePath, FilterAst } from "./ast.ts";

/**
 * Renders an AST back into filter syntax with explicit parentheses around every `and`/`or` group, so the
 * structure the parser chose is visible (for logs and tests).
 */
export function formatFilter(ast: FilterAst): string {
  switch (ast.type) {
    case "and":
    case "or":
      return `(${ast.filters.map(formatFilter).join(` ${ast.type} `)})`;
    case "not":
      return `not ${wrap(formatFilter(ast.filter))}`;
    case "present":
      return `${formatPath(ast.path)} pr`;
    case "compare":
      return `${formatPath(ast.path)} ${ast.op} ${JSON.stringify(ast.value)}`;
    case "valuePath":
      return `${formatPath(ast.path)}[${formatFilter(ast.filter)}]`;
  }
}

function wrap(text: string): string {
  return text.startsWith("(") ? text : `(${text})`;
}

function formatPath(path: AttributePath): string {
  const name = path.subAttr === undefined ? path.name : `${path.name}.${path.subAttr}`;
  return path.uri === undefined ? name : `${path.uri}:${name}`;
}
