/**
 * NASDAQ TotalView-ITCH 5.0 message layouts, one table for every message type
 * (../shared/specs/nasdaq-totalview-itch-5.0.txt, sections 1.1-1.8). Decoders, encoders,
 * the synthetic feed and `inspect` all read offsets from here; nothing else spells them.
 *
 * Every message starts Type(1) · Stock Locate(2) · Tracking Number(2) · Timestamp(6).
 * Integers are unsigned big-endian; alpha fields are ASCII, left-justified, space-padded;
 * Price(4) is u32 with 4 implied decimals, Price(8) is u64 with 8.
 */

export type FieldKind =
  | 'char' // Alpha(1): one ASCII byte
  | 'alpha' // Alpha(n), n > 1, right-padded with spaces
  | 'u16'
  | 'u32'
  | 'u48' // 6-byte timestamp, nanoseconds since midnight
  | 'u64'
  | 'price4' // u32, 4 implied decimals
  | 'price8'; // u64, 8 implied decimals

export interface FieldDef {
  readonly name: string;
  readonly offset: number;
  readonly length: number;
  readonly kind: FieldKind;
}

export interface MessageDef {
  readonly type: string;
  readonly name: string;
  /** Section of the specification the layout is taken from. */
  readonly section: string;
  readonly length: number;
  /** Fields after the common header, in wire order. */
  readonly fields: readonly FieldDef[];
}

export const HEADER_FIELDS: readonly FieldDef[] = [
  { name: 'stockLocate', offset: 1, length: 2, kind: 'u16' },
  { name: 'trackingNumber', offset: 3, length: 2, kind: 'u16' },
  { name: 'timestamp', offset: 5, length: 6, kind: 'u48' },
];

export const OFF_TYPE = 0;
export const OFF_LOCATE = 1;
export const OFF_TRACKING = 3;
export const OFF_TIMESTAMP = 5;
export const HEADER_LENGTH = 11;

const LENGTH_OF: Record<FieldKind, number> = {
  char: 1, alpha: 0, u16: 2, u32: 4, u48: 6, u64: 8, price4: 4, price8: 8,
};

/** Fields are written [name, kind, alphaLength?]; offsets follow from the order, from 11. */
type FieldSpec = readonly [string, FieldKind] | readonly [string, 'alpha', number];

function message(type: string, name: string, section: string, specs: readonly FieldSpec[]): MessageDef {
  let offset = HEADER_LENGTH;
  const fields = specs.map((spec) => {
    const length = spec[1] === 'alpha' ? (spec[2] as number) : LENGTH_OF[spec[1]];
    const f: FieldDef = { name: spec[0], offset, length, kind: spec[1] };
    offset += length;
    return f;
  });
  return { type, name, section, length: offset, fields };
}

const STOCK = ['stock', 'alpha', 8] as const;

export const MESSAGES: readonly MessageDef[] = [
  message('S', 'System Event', '1.1', [['eventCode', 'char']]),
  message('R', 'Stock Directory', '1.2.1', [
    STOCK,
    ['marketCategory', 'char'],
    ['financialStatusIndicator', 'char'],
    ['roundLotSize', 'u32'],
    ['roundLotsOnly', 'char'],
    ['issueClassification', 'char'],
    ['issueSubType', 'alpha', 2],
    ['authenticity', 'char'],
    ['shortSaleThresholdIndicator', 'char'],
    ['ipoFlag', 'char'],
    ['luldReferencePriceTier', 'char'],
    ['etpFlag', 'char'],
    ['etpLeverageFactor', 'u32'],
    ['inverseIndicator', 'char'],
  ]),
  message('H', 'Stock Trading Action', '1.2.2', [
    STOCK,
    ['tradingState', 'char'],
    ['reserved', 'char'],
    ['reason', 'alpha', 4],
  ]),
  message('Y', 'Reg SHO Short Sale Price Test Restricted Indicator', '1.2.3', [STOCK, ['regShoAction', 'char']]),
  message('L', 'Market Participant Position', '1.2.4', [
    ['mpid', 'alpha', 4],
    STOCK,
    ['primaryMarketMaker', 'char'],
    ['marketMakerMode', 'char'],
    ['marketParticipantState', 'char'],
  ]),
  message('V', 'MWCB Decline Level', '1.2.5.1', [
    ['level1', 'price8'],
    ['level2', 'price8'],
    ['level3', 'price8'],
  ]),
  message('W', 'MWCB Status', '1.2.5.2', [['breachedLevel', 'char']]),
  message('K', 'IPO Quoting Period Update', '1.2.6', [
    STOCK,
    ['ipoQuotationReleaseTime', 'u32'],
    ['ipoQuotationReleaseQualifier', 'char'],
    ['ipoPrice', 'price4'],
  ]),
  message('J', 'LULD Auction Collar', '1.2.7', [
    STOCK,
    ['auctionCollarReferencePrice', 'price4'],
    ['upperAuctionCollarPrice', 'price4'],
    ['lowerAuctionCollarPrice', 'price4'],
    ['auctionCollarExtension', 'u32'],
  ]),
  message('h', 'Operational Halt', '1.2.8', [
    STOCK,
    ['marketCode', 'char'],
    ['operationalHaltAction', 'char'],
  ]),
  message('A', 'Add Order - No MPID Attribution', '1.3.1', [
    ['orderReferenceNumber', 'u64'],
    ['buySellIndicator', 'char'],
    ['shares', 'u32'],
    STOCK,
    ['price', 'price4'],
  ]),
  message('F', 'Add Order - MPID Attribution', '1.3.2', [
    ['orderReferenceNumber', 'u64'],
    ['buySellIndicator', 'char'],
    ['shares', 'u32'],
    STOCK,
    ['price', 'price4'],
    ['attribution', 'alpha', 4],
  ]),
  message('E', 'Order Executed', '1.4.1', [
    ['orderReferenceNumber', 'u64'],
    ['executedShares', 'u32'],
    ['matchNumber', 'u64'],
  ]),
  message('C', 'Order Executed With Price', '1.4.2', [
    ['orderReferenceNumber', 'u64'],
    ['executedShares', 'u32'],
    ['matchNumber', 'u64'],
    ['printable', 'char'],
    ['executionPrice', 'price4'],
  ]),
  message('X', 'Order Cancel', '1.4.3', [
    ['orderReferenceNumber', 'u64'],
    ['cancelledShares', 'u32'],
  ]),
  message('D', 'Order Delete', '1.4.4', [['orderReferenceNumber', 'u64']]),
  message('U', 'Order Replace', '1.4.5', [
    ['originalOrderReferenceNumber', 'u64'],
    ['newOrderReferenceNumber', 'u64'],
    ['shares', 'u32'],
    ['price', 'price4'],
  ]),
  message('P', 'Trade (Non-Cross)', '1.5.1', [
    ['orderReferenceNumber', 'u64'],
    ['buySellIndicator', 'char'],
    ['shares', 'u32'],
    STOCK,
    ['price', 'price4'],
    ['matchNumber', 'u64'],
  ]),
  message('Q', 'Cross Trade', '1.5.2', [
    ['shares', 'u64'],
    STOCK,
    ['crossPrice', 'price4'],
    ['matchNumber', 'u64'],
    ['crossType', 'char'],
  ]),
  message('B', 'Broken Trade', '1.5.3', [['matchNumber', 'u64']]),
  message('I', 'Net Order Imbalance Indicator', '1.6', [
    ['pairedShares', 'u64'],
    ['imbalanceShares', 'u64'],
    ['imbalanceDirection', 'char'],
    STOCK,
    ['farPrice', 'price4'],
    ['nearPrice', 'price4'],
    ['currentReferencePrice', 'price4'],
    ['crossType', 'char'],
    ['priceVariationIndicator', 'char'],
  ]),
  message('N', 'Retail Price Improvement Indicator', '1.7', [STOCK, ['interestFlag', 'char']]),
  message('O', 'Direct Listing with Capital Raise Price Discovery', '1.8', [
    STOCK,
    ['openEligibilityStatus', 'char'],
    ['minimumAllowablePrice', 'price4'],
    ['maximumAllowablePrice', 'price4'],
    ['nearExecutionPrice', 'price4'],
    ['nearExecutionTime', 'u64'],
    ['lowerPriceRangeCollar', 'price4'],
    ['upperPriceRangeCollar', 'price4'],
  ]),
];

/** Message definition by type byte (0-255); undefined for types ITCH 5.0 does not define. */
export const MESSAGE_BY_CODE: readonly (MessageDef | undefined)[] = (() => {
  const table: (MessageDef | undefined)[] = new Array(256).fill(undefined);
  for (const m of MESSAGES) table[m.type.charCodeAt(0)] = m;
  return table;
})();

/** Expected length by type byte; 0 where the type is unknown. Hot-path lookup, no objects. */
export const LENGTH_BY_CODE: Uint8Array = (() => {
  const table = new Uint8Array(256);
  for (const m of MESSAGES) table[m.type.charCodeAt(0)] = m.length;
  return table;
})();

export function messageDef(type: string): MessageDef {
  const def = MESSAGE_BY_CODE[type.charCodeAt(0)];
  if (!def || type.length !== 1) throw new Error(`unknown ITCH 5.0 message type ${JSON.stringify(type)}`);
  return def;
}

/** Offset of a named field of a type, for hot-path readers that want constants. */
export function fieldOffset(type: string, field: string): number {
  const def = messageDef(type);
  const f = def.fields.find((x) => x.name === field) ?? HEADER_FIELDS.find((x) => x.name === field);
  if (!f) throw new Error(`ITCH ${type} has no field ${field}`);
  return f.offset;
}
