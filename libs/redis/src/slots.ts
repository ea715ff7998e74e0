/** Redis Cluster's slot count (Redis Cluster specification, "Key distribution model"). */
export const CLUSTER_SLOTS = 16384;

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte += 1) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
})();

/** CRC16-CCITT (XMODEM): polynomial 0x1021, initial 0, as the Redis Cluster specification defines it. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ (CRC16_TABLE[((crc >> 8) ^ byte) & 0xff] ?? 0);
  return crc;
}

/**
 * The Cluster slot of a key: CRC16 of its hash tag (what lies between the first `{` and the next
 * `}`, when not empty), else of the whole key, modulo 16384.
 */
export function keySlot(key: string): number {
  const hashed = hashTagOf(key) ?? key;
  // ASCII (every configured prefix and derived tag) is its own UTF-8: no buffer to make. The salt
  // search of 64 shards tries about 64,000 tags.
  return (isAscii(hashed) ? crc16Ascii(hashed) : crc16(Buffer.from(hashed))) % CLUSTER_SLOTS;
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

function crc16Ascii(text: string): number {
  let crc = 0;
  for (let i = 0; i < text.length; i += 1) {
    crc = ((crc << 8) & 0xffff) ^ (CRC16_TABLE[((crc >> 8) ^ text.charCodeAt(i)) & 0xff] ?? 0);
  }
  return crc;
}

/** The hash tag Redis hashes a key on, or undefined when it hashes the whole key. */
export function hashTagOf(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open === -1) return undefined;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : undefined;
}
