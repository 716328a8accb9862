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
