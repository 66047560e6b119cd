import { test } from 'node:test';
import assert from 'node:assert/strict';
import { textTable } from '../../../src/cli/text-table.js';

test('columns are padded to their widest cell, two spaces apart, without trailing blanks', () => {
  assert.equal(
    textTable([
      ['NAME', 'X', 'END'],
      ['a', 'longer', ''],
    ]),
    'NAME  X       END\na     longer',
  );
  assert.equal(textTable([]), '');
});
