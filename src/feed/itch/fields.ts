/**
 * Hot-path ITCH field reads: constant offsets from the layout table, DataView reads on the
 * packet buffer, no objects. Used by subscribers (decode, order book) and the packetizer.
 */
import { readU48, readU64Number } from '../bytes.js';
import { fieldOffset, OFF_LOCATE, OFF_TIMESTAMP } from './layout.js';

export const ADD_REF = fieldOffset('A', 'orderReferenceNumber');
export const ADD_SIDE = fieldOffset('A', 'buySellIndicator');
export const ADD_SHARES = fieldOffset('A', 'shares');
export const ADD_PRICE = fieldOffset('A', 'price');
export const EXEC_REF = fieldOffset('E', 'orderReferenceNumber');
export const EXEC_SHARES = fieldOffset('E', 'executedShares');
export const CANCEL_SHARES = fieldOffset('X', 'cancelledShares');
export const REPLACE_OLD = fieldOffset('U', 'originalOrderReferenceNumber');
export const REPLACE_NEW = fieldOffset('U', 'newOrderReferenceNumber');
export const REPLACE_SHARES = fieldOffset('U', 'shares');
export const REPLACE_PRICE = fieldOffset('U', 'price');

export function itchType(bytes: Uint8Array, off: number): number {
  return bytes[off];
}

export function itchLocate(v: DataView, off: number): number {
  return v.getUint16(off + OFF_LOCATE);
}

export function itchTimestamp(v: DataView, off: number): number {
  return readU48(v, off + OFF_TIMESTAMP);
}

export function itchU64(v: DataView, off: number, fieldOff: number): number {
  return readU64Number(v, off + fieldOff);
}
