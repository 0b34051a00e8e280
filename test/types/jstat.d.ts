/** jstat ships no types; the tests use it as a second implementation of the t distribution. */
declare module 'jstat' {
  export const jStat: {
    studentt: { inv(p: number, dof: number): number; cdf(x: number, dof: number): number };
    ttest(t: number, n: number, sides: number): number;
  };
}
