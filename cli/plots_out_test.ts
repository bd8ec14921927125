/** `--plots`: the formats it takes, checked before any training. (The plots written: tests/cli_plots_test.ts.) */

import assert from "node:assert/strict";
import { UsageError } from "../lib/errors.ts";
import { parsePlotsFlag } from "./plots_out.ts";

Deno.test("parsePlotsFlag()", async (t) => {
  await t.step("formats, deduplicated; html is implied", () => {
    assert.deepEqual(parsePlotsFlag("svg,png", "out"), ["svg", "png"]);
    assert.deepEqual(parsePlotsFlag(" PNG , svg,png,html", "out"), ["png", "svg"]);
    assert.deepEqual(parsePlotsFlag(undefined, undefined), []);
  });
  await t.step("mistakes are one-line UsageErrors", () => {
    assert.throws(() => parsePlotsFlag("svg", undefined), /--plots needs --out DIR/);
    assert.throws(() => parsePlotsFlag("svg,jpg", "out"), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.equal(
        err.message,
        "unknown plot format 'jpg'; --plots takes svg, png or both (--plots svg,png)",
      );
      return true;
    });
  });
});
