import { createHash } from 'node:crypto';

/** A message attribute as the SQS JSON protocol carries it (binary values base64-encoded). */
export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
  StringListValues?: string[];
  BinaryListValues?: string[];
}

export const md5Hex = (data: string | Buffer): string => createHash('md5').update(data).digest('hex');

function lengthPrefixed(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/**
 * MD5OfMessageAttributes exactly as SQS computes it (and the SDK verifies it): attributes sorted by name,
 * each encoded as length-prefixed name, length-prefixed data type, a transport byte (1 string, 2 binary)
 * and the length-prefixed value.
 */
export function md5OfMessageAttributes(attributes: Record<string, MessageAttributeValue>): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const parts: Buffer[] = [];
  for (const name of names) {
    const attribute = attributes[name]!;
    parts.push(lengthPrefixed(Buffer.from(name, 'utf8')));
    parts.push(lengthPrefixed(Buffer.from(attribute.DataType, 'utf8')));
    if (attribute.BinaryValue !== undefined) {
      parts.push(Buffer.from([2]));
      parts.push(lengthPrefixed(Buffer.from(attribute.BinaryValue, 'base64')));
    } else {
      parts.push(Buffer.from([1]));
      parts.push(lengthPrefixed(Buffer.from(attribute.StringValue ?? '', 'utf8')));
    }
  }
  return md5Hex(Buffer.concat(parts));
}
