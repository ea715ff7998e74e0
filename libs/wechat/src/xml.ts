import { XMLParser } from 'fast-xml-parser';
import { XmlError } from './errors.js';

/** A parsed XML element: text, child elements by name, or the same element repeated. */
export type XmlValue = string | XmlRecord | readonly XmlValue[];
export interface XmlRecord {
  readonly [name: string]: XmlValue;
}

/** What a push can look like at most; real pushes are about 5 deep and 30 elements (docs/wechat-protocol.md §4). */
export const XML_LIMITS = {
  maxDepth: 16,
  maxElements: 10_000,
  maxAttributesPerElement: 32,
} as const;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

const XML_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const REFERENCE = /&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|amp|lt|gt|quot|apos);/g;

/** The five XML entities and numeric character references (XML 1.0 §4.1); nothing else expands. */
function decodeXmlReferences(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(REFERENCE, (whole, name: string) => {
    if (!name.startsWith('#')) return XML_ENTITIES[name] ?? whole;
    const codePoint = name[1] === 'x' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
    return codePoint > 0 && codePoint <= 0x10ffff && (codePoint < 0xd800 || codePoint > 0xdfff)
      ? String.fromCodePoint(codePoint)
      : whole;
  });
}

// Attributes carry nothing in WeChat pushes; values stay strings (MsgId exceeds 2^53, docs/wechat-protocol.md §0.3).
const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  entityDecoder: {
    decode: decodeXmlReferences,
    setExternalEntities: () => undefined,
    addInputEntities: () => undefined,
    reset: () => undefined,
    setXmlVersion: () => undefined,
  },
  ignoreDeclaration: true,
  ignorePiTags: true,
  maxNestedTags: XML_LIMITS.maxDepth,
  // No callbacks use paths; building them per tag doubled the parse time (bench).
  jPath: false,
});

/**
 * Parses a push body (bytes or text) into the children of its `<xml>` root. Rejects rather than
 * repairs: no DOCTYPE or entity declarations, strict UTF-8, bounded depth and size.
 * @throws XmlError with the reason as `code`
 */
export function parseXml(body: Uint8Array | string): XmlRecord {
  const text = typeof body === 'string' ? body : decodeUtf8(body);
  scanStructure(text);
  let parsed: unknown;
  try {
    parsed = parser.parse(text);
  } catch (cause) {
    throw new XmlError('bad_xml', 'body is not well-formed XML', { cause });
  }
  const root = isRecord(parsed) ? parsed['xml'] : undefined;
  if (root === undefined || Object.keys(parsed as object).length !== 1) {
    throw new XmlError('bad_xml', 'the document element must be <xml>');
  }
  const normalised = normalise(root);
  if (typeof normalised === 'string' || Array.isArray(normalised)) {
    throw new XmlError('bad_xml', '<xml> must contain elements');
  }
  return normalised as XmlRecord;
}

function decodeUtf8(body: Uint8Array): string {
  try {
    return strictUtf8.decode(body);
  } catch (cause) {
    throw new XmlError('invalid_utf8', 'body is not valid UTF-8', { cause });
  }
}

/**
 * One linear pass before the real parser: refuses declarations (`<!DOCTYPE`, `<!ENTITY`: the
 * entity-expansion attacks), structure bombs and unbalanced or stray markup with a typed reason,
 * without building anything. The parser itself is lenient about well-formedness.
 */
function scanStructure(xml: string): void {
  const open: string[] = [];
  let elements = 0;
  let roots = 0;
  let at = xml.indexOf('<');
  if (at === -1 || xml.slice(0, at).trim() !== '') throw new XmlError('bad_xml', 'body is not XML');
  while (at !== -1) {
    let next: number;
    if (xml.startsWith('<![CDATA[', at)) next = endOf(xml, ']]>', at, 'CDATA section');
    else if (xml.startsWith('<!--', at)) next = endOf(xml, '-->', at, 'comment');
    else if (xml.startsWith('<?', at)) next = endOf(xml, '?>', at, 'processing instruction');
    else if (xml[at + 1] === '!')
      throw new XmlError('doctype_forbidden', 'DOCTYPE and other declarations are not accepted');
    else if (xml[at + 1] === '/') {
      next = endOf(xml, '>', at, 'end tag');
      if (open.pop() !== xml.slice(at + 2, next - 1).trim()) throw new XmlError('bad_xml', 'mismatched end tag');
    } else {
      const tag = scanStartTag(xml, at);
      elements += 1;
      if (elements > XML_LIMITS.maxElements)
        throw new XmlError('too_many_elements', `more than ${XML_LIMITS.maxElements} elements`);
      if (open.length === 0) roots += 1;
      if (roots > 1) throw new XmlError('bad_xml', 'more than one root element');
      if (!tag.selfClosing) open.push(tag.name);
      if (open.length > XML_LIMITS.maxDepth)
        throw new XmlError('structure_too_deep', `nested deeper than ${XML_LIMITS.maxDepth}`);
      next = tag.end;
    }
    at = xml.indexOf('<', next);
    const text = at === -1 ? xml.slice(next) : '';
    if (open.length === 0 && ((at === -1 && text.trim() !== '') || (at !== -1 && xml.slice(next, at).trim() !== ''))) {
      throw new XmlError('bad_xml', 'text outside the root element');
    }
  }
  if (open.length > 0) throw new XmlError('bad_xml', 'unclosed element');
  if (roots === 0) throw new XmlError('bad_xml', 'no root element');
}

function endOf(xml: string, terminator: string, from: number, what: string): number {
  const end = xml.indexOf(terminator, from + 2);
  if (end === -1) throw new XmlError('bad_xml', `unterminated ${what}`);
  return end + terminator.length;
}

const NAME_END = /[\s/>]/;

function scanStartTag(xml: string, from: number): { name: string; end: number; selfClosing: boolean } {
  let quote = '';
  let attributes = 0;
  let nameEnd = -1;
  for (let i = from + 1; i < xml.length; i += 1) {
    const c = xml[i] ?? '';
    if (nameEnd === -1 && NAME_END.test(c)) nameEnd = i;
    if (quote !== '') {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '=') {
      attributes += 1;
      if (attributes > XML_LIMITS.maxAttributesPerElement) {
        throw new XmlError(
          'too_many_attributes',
          `more than ${XML_LIMITS.maxAttributesPerElement} attributes on one element`,
        );
      }
    } else if (c === '>') {
      const name = xml.slice(from + 1, nameEnd);
      if (name === '') throw new XmlError('bad_xml', 'element without a name');
      return { name, end: i + 1, selfClosing: xml[i - 1] === '/' };
    }
  }
  throw new XmlError('bad_xml', 'unterminated start tag');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// fast-xml-parser yields strings, objects and arrays; text beside child elements lands in '#text'.
function normalise(value: unknown): XmlValue {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(normalise);
  if (isRecord(value)) {
    const record: Record<string, XmlValue> = {};
    for (const [name, child] of Object.entries(value)) {
      Object.defineProperty(record, name, {
        value: normalise(child),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return record;
  }
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}
