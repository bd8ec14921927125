/**
 * Worked solutions to notebook 00's exercises. Try them yourself first; each one passes its
 * check in `notebooks/exercises/00_microgpt.ts` (`00_microgpt_test.ts` runs them).
 *
 * @module
 */

/** Exercise 1: 27 equally likely tokens give each the probability 1/27; the loss is -ln(1/27) = ln 27. */
export const uniformLoss = Math.log(27); // 3.2958

/** Exercise 2: the seed drives the shuffle and the initial weights, not the file. */
export const seedChanges = "the order and the starting weights";

/** Exercise 3: a hotter distribution draws more unusual letters, so fewer names are known ones. */
export const hotterSamples = "fewer";
