/**
 * An error a user can act on: the CLI prints its message on one line, without a stack
 * (unless MDLAB_DEBUG=1). Anything else reaching the CLI is a bug and is labelled so.
 */
export class MdlabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MdlabError';
  }
}

/** Input that does not parse: names the source and where in it (byte offset or record). */
export class FormatError extends MdlabError {
  constructor(
    readonly source: string,
    readonly where: string,
    readonly what: string,
  ) {
    super(`${source}: ${where}: ${what}`);
    this.name = 'FormatError';
  }
}

/** A value quoted for an error line: JSON-escaped (no raw newline or control byte), kept short. */
export function quote(value: unknown, max = 60): string {
  let q: string;
  try {
    q = JSON.stringify(value) ?? String(value);
  } catch {
    q = String(value);
  }
  return q.length > max ? `${q.slice(0, max - 4)}...${q.startsWith('"') ? '"' : ''}` : q;
}
