import assert from "node:assert/strict";
import { type Box, overlap, placeLabels } from "./labels.ts";
import { Random } from "../random.ts";

const layout = { width: 600, height: 400, xRange: [0, 1] as const, yRange: [0, 1] as const };

function overlapping(boxes: readonly Box[]): [number, number][] {
  const pairs: [number, number][] = [];
  boxes.forEach((a, i) =>
    boxes.slice(i + 1).forEach((b, k) => overlap(a, b) > 0 && pairs.push([i, i + 1 + k]))
  );
  return pairs;
}

Deno.test("placeLabels()", async (t) => {
  await t.step("a point on its own keeps its label on top", () => {
    assert.deepEqual(placeLabels([[0.5, 0.5]], ["a"], layout).positions, ["top center"]);
  });
  await t.step("two points almost on top of each other get labels on different sides", () => {
    const { positions, boxes } = placeLabels([[0.5, 0.5], [0.502, 0.5]], ["c", "g"], layout);
    assert.deepEqual(positions, ["top center", "middle right"]);
    assert.deepEqual(overlapping(boxes), []);
  });
  await t.step("a label at the right edge turns inwards", () => {
    const { positions, boxes } = placeLabels([[0.999, 0.5]], ["⟨BOS⟩"], layout);
    assert.equal(positions[0], "middle left");
    assert.ok(boxes[0].right <= layout.width);
  });
  await t.step("27 random points: no label overlaps another (the embedding plot's size)", () => {
    const rng = new Random(3);
    for (let trial = 0; trial < 20; trial++) {
      const points = Array.from({ length: 27 }, () => [rng.random(), rng.random()] as [number, number]);
      const labels = Array.from(
        { length: 27 },
        (_, i) => i === 26 ? "⟨BOS⟩" : "abcdefghijklmnopqrstuvwxyz"[i],
      );
      const { boxes } = placeLabels(points, labels, layout);
      assert.deepEqual(overlapping(boxes), [], `trial ${trial}`);
    }
  });
  await t.step("deterministic", () => {
    const points: [number, number][] = [[0.1, 0.1], [0.11, 0.1], [0.1, 0.11], [0.5, 0.5]];
    assert.deepEqual(
      placeLabels(points, ["a", "b", "c", "d"], layout),
      placeLabels(points, ["a", "b", "c", "d"], layout),
    );
  });
});
