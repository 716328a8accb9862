/**
 * Real Nasdaq ITCH 5.0 captures (VLAN-tagged, ns pcap) and a real binary ITCH file, read in
 * place from ../shared/interop. Expected values were read by hand from the bytes (xxd).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeMessage, formatItchTime, formatPrice4, type ItchMessage } from '../../src/feed/itch/codec.js';
import { inspectFeed } from '../../src/feed/inspect.js';
import { forEachMoldMessage } from '../../src/feed/moldudp64.js';
import { openFeed } from '../../src/feed/open-feed.js';
import { CAPTURES, HAS_INTEROP, INTEROP, INTEROP_NOTE } from '../helpers/shared.js';

async function firstMessage(file: string): Promise<ItchMessage> {
  const r = await openFeed(join(CAPTURES, file));
  expect(await r.next()).toBe(true);
  const p = r.packet;
  let msg: ItchMessage | undefined;
  forEachMoldMessage(p.bytes, p.view, p.offset, p.length, (off, len, i) => {
    if (i === 0) msg = decodeMessage(p.bytes, off, len);
  });
  r.close();
  return msg!;
}

describe.skipIf(!HAS_INTEROP)(`real Nasdaq captures in ../shared/interop${INTEROP_NOTE}`, () => {
  it('Multiple.Packets.pcap holds 2 packets and 39 messages on 233.54.12.111:26477', async () => {
    const s = await inspectFeed(await openFeed(join(CAPTURES, 'Multiple.Packets.pcap')));
    expect(s.header).toMatchObject({ format: 'pcap', timestampResolution: 'ns', linktype: 1 });
    expect(s).toMatchObject({ packets: 2, messages: 39, complete: true, skippedFrames: {}, malformed: {} });
    expect(Object.fromEntries(Object.entries(s.messagesByType).map(([t, x]) => [t, x.count]))).toEqual({ A: 36, D: 1, F: 2 });
    expect(s.groups).toEqual([expect.objectContaining({ group: '233.54.12.111:26477', packets: 2, messages: 39 })]);
    expect(s.sessions).toEqual([expect.objectContaining({ session: '000010059B', firstSequence: 14764496 })]);
  });

  it('decodes the Add Order of DESIGN §7 from the VLAN-tagged capture', async () => {
    const m = await firstMessage('AddOrderNoMpidAttributionMessage.pcap');
    expect(m).toMatchObject({ type: 'A', stockLocate: 5528, orderReferenceNumber: 23508286n, buySellIndicator: 'B', shares: 1600, stock: 'IVOO', price: 873900 });
    expect(formatItchTime(m.timestamp)).toBe('09:29:59.999894278');
    expect(formatPrice4(m.price as number)).toBe('87.3900');
  });

  it.each([
    ['OrderExecutedMessage.pcap', { type: 'E', stockLocate: 2345, trackingNumber: 2, orderReferenceNumber: 23499418n, executedShares: 25, matchNumber: 255547n }],
    ['OrderDeleteMessage.pcap', { type: 'D', stockLocate: 3517, orderReferenceNumber: 23497686n }],
    ['OrderReplaceMessage.pcap', { type: 'U', stockLocate: 7603, originalOrderReferenceNumber: 15108479n, newOrderReferenceNumber: 21361351n, shares: 100, price: 1062600 }],
    ['StockTradingActionMessage.pcap', { type: 'H', stockLocate: 464, stock: 'AMC', tradingState: 'T', reserved: ' ', reason: '' }],
    ['MarketParticipantPositionMessage.pcap', { type: 'L', stockLocate: 3731, mpid: 'MAXM', stock: 'FGMC', primaryMarketMaker: 'Y', marketMakerMode: 'N', marketParticipantState: 'A' }],
    ['NetOrderImbalanceIndicatorMessage.pcap', { type: 'I', stockLocate: 6462, pairedShares: 1n, imbalanceShares: 0n, imbalanceDirection: 'N', stock: 'MDC', farPrice: 464400, nearPrice: 464400, currentReferencePrice: 464400, crossType: 'O', priceVariationIndicator: 'L' }],
  ])('%s decodes to the values in its bytes', async (file, expected) => {
    expect(await firstMessage(file)).toMatchObject(expected);
  });

  it('every capture reads completely: one packet each, nothing skipped', async () => {
    for (const f of ['AddOrderNoMpidAttributionMessage', 'MarketParticipantPositionMessage', 'NetOrderImbalanceIndicatorMessage', 'OrderDeleteMessage', 'OrderExecutedMessage', 'OrderReplaceMessage', 'StockTradingActionMessage']) {
      const s = await inspectFeed(await openFeed(join(CAPTURES, `${f}.pcap`)));
      expect(s, f).toMatchObject({ packets: 1, messages: 1, complete: true, skippedFrames: {}, malformed: {} });
    }
  });

  it('the binary ITCH file: 1,000 messages, the day starting with System Event O and the directory', async () => {
    const s = await inspectFeed(await openFeed(join(INTEROP, 'nasdaq-itch5-sample.itch')));
    expect(s).toMatchObject({ format: 'itch', messages: 1000, complete: true, malformed: {} });
    expect(Object.fromEntries(Object.entries(s.messagesByType).map(([t, x]) => [t, x.count]))).toEqual({ S: 1, R: 993, H: 3, Y: 3 });
    expect(s.timeSpan.first).toBe('03:04:32.057543747');
    const r = await openFeed(join(INTEROP, 'nasdaq-itch5-sample.itch'));
    await r.next();
    const msgs: ItchMessage[] = [];
    forEachMoldMessage(r.packet.bytes, r.packet.view, r.packet.offset, r.packet.length, (o, l) => msgs.push(decodeMessage(r.packet.bytes, o, l)));
    r.close();
    expect(msgs[0]).toMatchObject({ type: 'S', stockLocate: 0, eventCode: 'O' });
  });
});
