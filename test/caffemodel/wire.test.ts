import * as protobuf from 'protobufjs';
import { putVarint, splitFields, varintSize, WireError, WireReader } from '../../src/caffemodel/wire';

function bytes(...b: number[]): Uint8Array {
  return Uint8Array.from(b);
}

describe('WireReader varints', () => {
  it('reads varints of every length as numbers, matching protobufjs', () => {
    const values = [0, 1, 127, 128, 300, 2 ** 28 - 1, 2 ** 28, 2 ** 32 - 1, 2 ** 32, 2 ** 35 + 7, 2 ** 53 - 1];
    const w = protobuf.Writer.create();
    for (const v of values) w.uint64(v);
    const buf = w.finish();
    const r = new WireReader(buf);
    for (const v of values) expect(r.varint()).toBe(v);
    expect(r.eof()).toBe(true);
  });

  it('reads negative int32 and int64 (10-byte varints)', () => {
    const w = protobuf.Writer.create();
    w.int32(-1).int32(-2147483648).int64(-5).int64(-(2 ** 40) - 3).int32(7);
    const r = new WireReader(w.finish());
    expect(r.int32()).toBe(-1);
    expect(r.int32()).toBe(-2147483648);
    expect(r.int64()).toBe(-5);
    expect(r.int64()).toBe(-(2 ** 40) - 3);
    expect(r.int32()).toBe(7);
  });

  it('reports truncated and overlong varints with their offset', () => {
    expect(() => new WireReader(bytes(0x96, 0x80)).varint()).toThrow(WireError);
    const r = new WireReader(bytes(0x01, 0x96));
    r.varint();
    try {
      r.varint('the answer');
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(WireError);
      expect((e as WireError).offset).toBe(1);
      expect((e as WireError).message).toMatch(/truncated the answer/);
    }
    const long = new Uint8Array(11).fill(0xff);
    expect(() => new WireReader(long).varint()).toThrow(/longer than 10 bytes|overflows/);
  });

  it('putVarint and varintSize agree with protobufjs', () => {
    for (const v of [0, 1, 127, 128, 16383, 16384, 2 ** 31, 2 ** 40 + 5]) {
      const out = new Uint8Array(10);
      const n = putVarint(out, 0, v);
      expect(n).toBe(varintSize(v));
      expect(Array.from(out.subarray(0, n))).toEqual(Array.from(protobuf.Writer.create().uint64(v).finish()));
    }
  });
});

describe('WireReader fields', () => {
  it('skips every wire type, including nested groups', () => {
    const w = protobuf.Writer.create();
    w.uint32((1 << 3) | 0).uint32(150);
    w.uint32((2 << 3) | 1).fixed64(12345);
    w.uint32((3 << 3) | 2).bytes(bytes(1, 2, 3));
    w.uint32((4 << 3) | 3); // group 4 { field 5 varint; group 6 {} }
    w.uint32((5 << 3) | 0).uint32(1);
    w.uint32((6 << 3) | 3).uint32((6 << 3) | 4);
    w.uint32((4 << 3) | 4);
    w.uint32((7 << 3) | 5).fixed32(9);
    w.uint32((8 << 3) | 0).uint32(42);
    const buf = w.finish();
    const r = new WireReader(buf);
    const seen: number[] = [];
    while (!r.eof()) {
      const h = r.tag();
      seen.push(h.field);
      if (h.field === 8) expect(r.varint()).toBe(42);
      else r.skip(h);
    }
    expect(seen).toEqual([1, 2, 3, 4, 7, 8]);
    expect(splitFields(buf).map((f) => f.field)).toEqual([1, 2, 3, 4, 7, 8]);
  });

  it('rejects invalid wire types, field 0, unclosed groups and overlong lengths, with offsets', () => {
    expect(() => new WireReader(bytes(0x0f)).tag()).toThrow(/invalid wire type 7/);
    expect(() => new WireReader(bytes(0x00)).tag()).toThrow(/invalid field number 0/);
    const g = new WireReader(bytes(0x0b, 0x10, 0x01));
    expect(() => g.skip(g.tag())).toThrow(/group field 1 is not closed/);
    const r = new WireReader(bytes(0x08, 0x01, 0x12, 0x05, 0x61));
    r.skip(r.tag());
    const h = r.tag();
    try {
      r.lengthDelimited('name');
      throw new Error('no error');
    } catch (e) {
      expect((e as WireError).offset).toBe(3);
      expect((e as WireError).detail).toMatch(/name claims 5 bytes but only 1 remain/);
    }
    expect(h.start).toBe(2);
    const f = new WireReader(bytes(0x0d, 1, 2));
    f.tag();
    expect(() => f.fixed32Offset()).toThrow(/truncated fixed32/);
  });

  it('reads within a sub-span only, with absolute offsets', () => {
    const buf = bytes(0xff, 0xff, 0x08, 0x05, 0xff);
    const r = new WireReader(buf, 2, 4);
    const h = r.tag();
    expect(h).toEqual({ field: 1, wireType: 0, start: 2 });
    expect(r.varint()).toBe(5);
    expect(r.eof()).toBe(true);
  });
});
