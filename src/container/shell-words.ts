/**
 * The Dockerfile word processor (buildkit `frontend/dockerfile/shell` lex) that `docker commit -c`
 * runs over ENV, LABEL, WORKDIR, USER, VOLUME and EXPOSE arguments: quotes removed, `\` escapes,
 * `$VAR`, `${VAR}`, `${VAR:-word}` and `${VAR:+word}` expanded from the config's Env.
 */
import { WharfError } from "../errors.ts";

const ESCAPE = "\\";

function isSpace(ch: string): boolean {
  return /\s/u.test(ch);
}

function isNameChar(ch: string): boolean {
  return /[A-Za-z0-9_]/.test(ch);
}

/** Collects the processed text, and the words it splits into (unquoted spaces split; quoted ones do not). */
class WordsBuilder {
  text = "";
  readonly words: string[] = [];
  private word = "";
  private inWord = false;

  /** A character that splits words on whitespace (unquoted, or from an expansion). */
  add(ch: string): void {
    this.text += ch;
    if (isSpace(ch)) {
      if (this.inWord) this.words.push(this.word);
      this.word = "";
      this.inWord = false;
      return;
    }
    this.addToWord(ch);
  }

  /** A character kept inside the current word (quoted or escaped). */
  addRaw(ch: string): void {
    this.text += ch;
    this.addToWord(ch);
  }

  /** Quotes make a word even when empty (`""`). */
  markWord(): void {
    this.inWord = true;
  }

  finish(): string[] {
    if (this.inWord) this.words.push(this.word);
    return this.words;
  }

  private addToWord(ch: string): void {
    this.word += ch;
    this.inWord = true;
  }
}

class Lexer {
  private pos = 0;
  private readonly chars: string[];

  constructor(input: string, private readonly env: ReadonlyMap<string, string>) {
    this.chars = [...input];
  }

  run(): WordsBuilder {
    const out = new WordsBuilder();
    while (this.pos < this.chars.length) {
      const ch = this.chars[this.pos++]!;
      if (ch === "'") {
        out.markWord();
        this.singleQuoted(out);
      } else if (ch === '"') {
        out.markWord();
        this.doubleQuoted(out);
      } else if (ch === "$") {
        for (const c of this.dollar()) out.add(c);
      } else if (ch === ESCAPE) {
        if (this.pos < this.chars.length) out.addRaw(this.chars[this.pos++]!); // a `\` at the end is dropped
      } else {
        out.add(ch);
      }
    }
    return out;
  }

  private singleQuoted(out: WordsBuilder): void {
    for (;;) {
      if (this.pos >= this.chars.length) throw new WharfError("INVALID_ARGUMENT", "unexpected end of statement while looking for matching single-quote");
      const ch = this.chars[this.pos++]!;
      if (ch === "'") return;
      out.addRaw(ch);
    }
  }

  private doubleQuoted(out: WordsBuilder): void {
    for (;;) {
      if (this.pos >= this.chars.length) throw new WharfError("INVALID_ARGUMENT", "unexpected end of statement while looking for matching double-quote");
      let ch = this.chars[this.pos++]!;
      if (ch === '"') return;
      if (ch === "$") {
        for (const c of this.dollar()) out.addRaw(c);
        continue;
      }
      if (ch === ESCAPE) {
        const next = this.chars[this.pos];
        if (next === undefined) continue;
        if (next === '"' || next === "$" || next === ESCAPE) ch = this.chars[this.pos++]!; // other escapes stay as written
      }
      out.addRaw(ch);
    }
  }

  /** After a `$`: the expansion, or a literal `$` when no name follows. */
  private dollar(): string {
    if (this.chars[this.pos] !== "{") {
      const name = this.name();
      return name === "" ? "$" : this.env.get(name) ?? "";
    }
    this.pos++;
    const name = this.name();
    if (name === "") throw new WharfError("INVALID_ARGUMENT", `bad substitution: missing variable name`);
    const ch = this.chars[this.pos++];
    if (ch === "}") return this.env.get(name) ?? "";
    if (ch === ":") {
      const modifier = this.chars[this.pos++];
      const word = new Lexer(this.until("}"), this.env).run().text;
      const value = this.env.get(name) ?? "";
      if (modifier === "-") return value === "" ? word : value;
      if (modifier === "+") return value === "" ? "" : word;
      throw new WharfError("INVALID_ARGUMENT", `unsupported modifier (${modifier ?? ""}) in substitution`);
    }
    throw new WharfError("INVALID_ARGUMENT", `missing ':' in substitution`);
  }

  private name(): string {
    let name = "";
    while (this.pos < this.chars.length && isNameChar(this.chars[this.pos]!)) name += this.chars[this.pos++]!;
    return name;
  }

  /** The raw text up to the closing `}` (nested `${…}` kept whole). */
  private until(close: string): string {
    let depth = 0;
    let text = "";
    while (this.pos < this.chars.length) {
      const ch = this.chars[this.pos++]!;
      if (ch === close && depth === 0) return text;
      if (ch === "{" && text.endsWith("$")) depth++;
      else if (ch === close) depth--;
      text += ch;
    }
    throw new WharfError("INVALID_ARGUMENT", `syntax error: missing '${close}'`);
  }
}

/** `KEY=value` lines as a lookup; the first occurrence of a key wins, as Go's getEnv does. */
export function envMap(env: readonly string[] | null | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of env ?? []) {
    const eq = line.indexOf("=");
    const key = eq < 0 ? line : line.slice(0, eq);
    if (!map.has(key)) map.set(key, eq < 0 ? "" : line.slice(eq + 1));
  }
  return map;
}

/** buildkit ProcessWord: one word, quotes removed, variables expanded; whitespace kept. */
export function processWord(word: string, env: ReadonlyMap<string, string>): string {
  return new Lexer(word, env).run().text;
}

/** buildkit ProcessWords: like processWord, then split on whitespace that was not quoted. */
export function processWords(word: string, env: ReadonlyMap<string, string>): string[] {
  return new Lexer(word, env).run().finish();
}

/**
 * The Dockerfile parser's parseWords: splits on whitespace outside quotes, keeping quotes and
 * escapes in the words for processWord to remove.
 */
export function splitDockerfileWords(rest: string): string[] {
  const words: string[] = [];
  const chars = [...rest];
  let word = "";
  let inWord = false;
  let blankOK = false;
  let quote = "";
  for (let i = 0; i < chars.length; i++) {
    let ch = chars[i]!;
    if (quote === "") {
      if (isSpace(ch)) {
        if (inWord && (blankOK || word.length > 0)) words.push(word);
        word = "";
        inWord = false;
        blankOK = false;
        continue;
      }
      inWord = true;
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
      } else if (ch === ESCAPE) {
        if (i + 1 === chars.length) continue;
        word += ch;
        ch = chars[++i]!;
      }
      word += ch;
      continue;
    }
    if (ch === quote) quote = "";
    else if (ch === ESCAPE && quote !== "'") {
      if (i + 1 === chars.length) continue;
      word += ch;
      ch = chars[++i]!;
    }
    word += ch;
  }
  if (inWord && (blankOK || word.length > 0)) words.push(word);
  return words;
}
