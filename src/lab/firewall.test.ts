import { describe, expect, it } from 'vitest';
import { labTag, partitionRules } from './firewall.js';

describe('hard partition rules', () => {
  it('drop both directions of the gateway port on the region address, tagged with the lab and fault', () => {
    const tag = `${labTag('/tmp/h/lab')}:f1`;
    expect(partitionRules('127.0.41.1', [4321], tag)).toEqual([
      ['-d', '127.0.41.1/32', '-p', 'tcp', '-m', 'tcp', '--dport', '4321', '-m', 'comment', '--comment', tag, '-j', 'DROP'],
      ['-s', '127.0.41.1/32', '-p', 'tcp', '-m', 'tcp', '--sport', '4321', '-m', 'comment', '--comment', tag, '-j', 'DROP'],
    ]);
  });

  it('cover every port into the region', () => {
    expect(partitionRules('127.0.41.1', [1, 2, 3], 'x').map((r) => r[r.indexOf(r.includes('--dport') ? '--dport' : '--sport') + 1])).toEqual(['1', '1', '2', '2', '3', '3']);
  });

  it('tag each lab by its directory', () => {
    expect(labTag('/tmp/h/lab')).toMatch(/^halab-[0-9a-f]{10}$/);
    expect(labTag('/tmp/h/lab')).toBe(labTag('/tmp/h/lab'));
    expect(labTag('/tmp/other/lab')).not.toBe(labTag('/tmp/h/lab'));
  });
});
