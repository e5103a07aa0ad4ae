import assert from "node:assert/strict";
import { describeTraffic, sameTraffic, shareOf, splitTraffic } from "./trafficSplit";

describe("DeployToAKS traffic split", () => {
  it("gives a first deployment all traffic, whatever the percentage asked", () => {
    assert.deepEqual(splitTraffic({}, "blue", 100), { traffic: { blue: 100 } });
    const r = splitTraffic(undefined, "blue", 10);
    assert.deepEqual(r.traffic, { blue: 100 });
    assert.match(r.note ?? "", /No other deployment serves traffic/);
    assert.deepEqual(splitTraffic({}, "blue", 0), { traffic: {} });
  });

  it("splits blue/green: the new deployment gets its share, the rest stays proportional", () => {
    assert.deepEqual(splitTraffic({ blue: 100 }, "green", 10).traffic, { blue: 90, green: 10 });
    assert.deepEqual(splitTraffic({ blue: 90, green: 10 }, "green", 100).traffic, { green: 100 });
    assert.deepEqual(splitTraffic({ blue: 50, green: 50 }, "red", 20).traffic, { blue: 40, green: 40, red: 20 });
    assert.deepEqual(splitTraffic({ blue: 90, green: 10 }, "green", 0).traffic, { blue: 100 });
  });

  it("rounds to whole percentages that still add up to 100 (largest remainder first)", () => {
    // 90 shared as 30.6 / 29.7 / 29.7: floors 30+29+29 = 88, the two largest remainders get the last 2
    assert.deepEqual(splitTraffic({ a: 34, b: 33, c: 33 }, "d", 10).traffic, { a: 30, b: 30, c: 30, d: 10 });
    // 97 shared 2:1 → 64.67 / 32.33: 64+32 = 96, a has the larger remainder
    assert.deepEqual(splitTraffic({ a: 2, b: 1 }, "n", 3).traffic, { a: 65, b: 32, n: 3 });
  });

  it("treats deployment names case-insensitively", () => {
    assert.deepEqual(splitTraffic({ Blue: 100 }, "blue", 30).traffic, { blue: 100 });
    assert.equal(shareOf({ Green: 10 }, "green"), 10);
  });

  it("compares and prints maps without zero entries", () => {
    assert.ok(sameTraffic({ blue: 100, green: 0 }, { blue: 100 }));
    assert.ok(!sameTraffic({ blue: 90, green: 10 }, { blue: 100 }));
    assert.equal(describeTraffic({ green: 10, blue: 90 }), "blue=90 green=10");
    assert.equal(describeTraffic({}), "none");
  });

  it("refuses percentages outside 0..100", () => {
    assert.throws(() => splitTraffic({}, "x", 101), RangeError);
    assert.throws(() => splitTraffic({}, "x", 2.5), RangeError);
  });
});
