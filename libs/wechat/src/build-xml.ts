import type { InboundMessage } from './messages.js';
import type { XmlRecord, XmlValue } from './xml.js';

// Numeric fields WeChat sends without CDATA (docs/wechat-protocol.md §2.3, §4.1); everything else goes in CDATA.
const BARE_FIELDS = new Set([
  'CreateTime',
  'MsgId',
  'MsgID',
  'MsgDataId',
  'Idx',
  'Location_X',
  'Location_Y',
  'Scale',
  'Latitude',
  'Longitude',
  'Precision',
  'Count',
  'TotalCount',
  'FilterCount',
  'SentCount',
  'ErrorCount',
  'ErrorCode',
  'PopupScene',
  'MenuId',
  'ArticleIdx',
  'TimeStamp',
  // Passive news replies (docs/wechat-protocol.md §5.2).
  'ArticleCount',
]);
const NUMBER = /^-?\d+(?:\.\d+)?$/;
const ELEMENT_NAME = /^[A-Za-z_][\w.-]*$/;

/**
 * Serialises a record as WeChat does: one `<xml>` root, no whitespace, strings in CDATA, numeric
 * fields bare, arrays as repeated elements. Parsing the result gives the record back.
 * @throws TypeError for a name that is not an XML element name
 */
export function buildXml(record: XmlRecord): string {
  return `<xml>${buildChildren(record)}</xml>`;
}

/** The XML WeChat would push for this message (the simulator's side of the protocol). */
export function buildInboundXml(message: InboundMessage): string {
  // Every message is a record of XML values, but its interfaces have no index signature to say so.
  return buildXml(message as unknown as XmlRecord);
}

function buildChildren(record: XmlRecord): string {
  let xml = '';
  for (const [name, value] of Object.entries(record)) xml += buildElement(name, value);
  return xml;
}

function buildElement(name: string, value: XmlValue): string {
  if (!ELEMENT_NAME.test(name)) throw new TypeError(`not an XML element name: ${JSON.stringify(name)}`);
  if (Array.isArray(value)) return (value as readonly XmlValue[]).map((item) => buildElement(name, item)).join('');
  if (typeof value === 'string') {
    const content = BARE_FIELDS.has(name) && NUMBER.test(value) ? value : cdata(value);
    return `<${name}>${content}</${name}>`;
  }
  return `<${name}>${buildChildren(value as XmlRecord)}</${name}>`;
}

/** CDATA cannot hold `]]>`: close the section before `>` and open a new one. */
export function cdata(value: string): string {
  return `<![CDATA[${value.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}
