import { describe, expect, it } from "vitest";
import { logGamma, regularizedIncompleteBeta, studentTCdf, studentTQuantile } from "./student-t.js";

describe("logGamma", () => {
  it("matches factorials and Γ(1/2) = √π", () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(20)).toBeCloseTo(Math.log(121645100408832000), 10);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    expect(logGamma(0.1)).toBeCloseTo(Math.log(9.513507698668732), 12);
  });
});

describe("regularizedIncompleteBeta", () => {
  it("matches closed forms", () => {
    for (const x of [0.01, 0.2, 0.5, 0.77, 0.999]) {
      expect(regularizedIncompleteBeta(x, 3, 1)).toBeCloseTo(x ** 3, 12);
      expect(regularizedIncompleteBeta(x, 1, 4)).toBeCloseTo(1 - (1 - x) ** 4, 12);
      // I_x(1/2, 1/2) is the arcsine distribution.
      expect(regularizedIncompleteBeta(x, 0.5, 0.5)).toBeCloseTo((2 / Math.PI) * Math.asin(Math.sqrt(x)), 12);
    }
    expect(regularizedIncompleteBeta(0.5, 7.3, 7.3)).toBeCloseTo(0.5, 12);
    expect(regularizedIncompleteBeta(0, 2, 3)).toBe(0);
    expect(regularizedIncompleteBeta(1, 2, 3)).toBe(1);
  });

  it("matches a tabulated value", () => {
    // I_0.4(2, 3) = 0.5248 (binomial: P(X >= 2) for X ~ Bin(4, 0.4)).
    expect(regularizedIncompleteBeta(0.4, 2, 3)).toBeCloseTo(0.5248, 12);
  });
});

describe("studentTCdf", () => {
  it("matches tables of critical values", () => {
    // Two-sided 5% and one-sided 5% critical values.
    expect(studentTCdf(12.706204736, 1)).toBeCloseTo(0.975, 9);
    expect(studentTCdf(4.30265273, 2)).toBeCloseTo(0.975, 9);
    expect(studentTCdf(2.776445105, 4)).toBeCloseTo(0.975, 9);
    expect(studentTCdf(2.228138852, 10)).toBeCloseTo(0.975, 9);
    expect(studentTCdf(1.812461123, 10)).toBeCloseTo(0.95, 9);
    expect(studentTCdf(2.131846786, 4)).toBeCloseTo(0.95, 9);
    expect(studentTCdf(-2.131846786, 4)).toBeCloseTo(0.05, 9);
    expect(studentTCdf(31.82051595, 1)).toBeCloseTo(0.99, 9);
    expect(studentTCdf(2.0, 10)).toBeCloseTo(0.963305982, 8);
  });

  it("matches closed forms for 1 and 2 degrees of freedom", () => {
    for (const t of [-30, -2.5, -0.3, 0, 0.7, 4, 100]) {
      expect(studentTCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 12);
      expect(studentTCdf(t, 2)).toBeCloseTo(0.5 + t / (2 * Math.sqrt(2 + t * t)), 12);
    }
  });

  it("tends to the normal distribution and handles fractional degrees of freedom", () => {
    expect(studentTCdf(1.959963985, 1e7)).toBeCloseTo(0.975, 6);
    const between = studentTCdf(2, 3.5);
    expect(between).toBeGreaterThan(studentTCdf(2, 3));
    expect(between).toBeLessThan(studentTCdf(2, 4));
    expect(studentTCdf(Number.POSITIVE_INFINITY, 3)).toBe(1);
    expect(studentTCdf(Number.NaN, 3)).toBeNaN();
    expect(studentTCdf(1, 0)).toBeNaN();
  });
});

describe("studentTQuantile", () => {
  it("inverts the CDF: the familiar two-sided 95% values", () => {
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.7062, 3);
    expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.7764, 4);
    expect(studentTQuantile(0.975, 1000)).toBeCloseTo(1.9623, 4);
    expect(studentTQuantile(0.025, 4)).toBeCloseTo(-2.7764, 4);
    expect(studentTQuantile(1, 4)).toBeNaN();
  });
});
