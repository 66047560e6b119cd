import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SourceRateLimiter } from '../../../src/node/rate-limit.js';

test('a flooding source is cut off after its burst and refills at its rate; others are unaffected', () => {
  let now = 0;
  const rl = new SourceRateLimiter({ ratePerSecond: 10, burst: 5, maxSources: 100 }, () => now);
  const allowed = Array.from({ length: 20 }, () => rl.allow('10.0.0.9')).filter(Boolean).length;
  assert.equal(allowed, 5);
  assert.equal(rl.dropped, 15);
  assert.equal(rl.allow('10.0.0.8'), true);
  now += 500;
  assert.equal(Array.from({ length: 20 }, () => rl.allow('10.0.0.9')).filter(Boolean).length, 5);
});

test('the number of tracked sources stays bounded under spoofed-source floods', () => {
  const rl = new SourceRateLimiter({ ratePerSecond: 10, burst: 5, maxSources: 64 }, () => 0);
  for (let i = 0; i < 10_000; i++) rl.allow(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  assert.equal(rl.trackedSources, 64);
});

test('waitMs says how long until a source has a token again, without taking one', () => {
  let now = 0;
  const rl = new SourceRateLimiter({ ratePerSecond: 0.5, burst: 2, maxSources: 8 }, () => now);
  assert.equal(rl.waitMs('a'), 0);
  assert.equal(rl.waitMs('a'), 0, 'asking takes no token');
  rl.allow('a');
  rl.allow('a');
  assert.equal(rl.waitMs('a'), 2000);
  now += 1500;
  assert.equal(rl.waitMs('a'), 500);
  now += 500;
  assert.equal(rl.waitMs('a'), 0);
  assert.equal(rl.allow('a'), true);
});
