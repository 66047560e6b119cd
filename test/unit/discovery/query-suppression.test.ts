import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foreignQueryCoversOurs } from '../../../src/discovery/query-suppression.js';

const a = '_nucmesh._tcp.local|PTR|nuc-a._nucmesh._tcp.local';
const b = '_nucmesh._tcp.local|PTR|nuc-b._nucmesh._tcp.local';

test('a fresh browser (no known answers) never lets a query listing known answers stand in for its own', () => {
  assert.equal(foreignQueryCoversOurs([a, b], new Set()), false);
});

test('a foreign query listing only answers we hold, or none, covers ours', () => {
  assert.equal(foreignQueryCoversOurs([a], new Set([a, b])), true);
  assert.equal(foreignQueryCoversOurs([a, b], new Set([a, b])), true);
  assert.equal(foreignQueryCoversOurs([], new Set()), true);
  assert.equal(foreignQueryCoversOurs([], new Set([a])), true);
});

test('one listed answer we lack is enough to send our own query', () => {
  assert.equal(foreignQueryCoversOurs([a, b], new Set([a])), false);
});
