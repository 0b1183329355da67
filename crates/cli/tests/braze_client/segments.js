// The segments area through the npm braze-api client: `segments.list`, `segments.details`
// and `segments.analytics` (the client's name for `GET /segments/data_series`). Needs at
// least one segment in the node's config.

'use strict';

const { assert, call, callFails, eventually, run } = require('./lib');

async function firstSegment(braze) {
  const listed = await call('segments.list', () => braze.segments.list());
  assert.equal(listed.message, 'success');
  assert.ok(listed.segments.length > 0, "the node's config must hold a segment");
  return listed.segments[0];
}

run('segments', {
  async list({ braze }) {
    const listed = await call('segments.list (page 0, desc)', () =>
      braze.segments.list({ page: 0, sort_direction: 'desc' }),
    );
    assert.equal(listed.message, 'success');
    assert.ok(listed.segments.length > 0, "the node's config must hold a segment");
    for (const segment of listed.segments) {
      assert.equal(typeof segment.id, 'string');
      assert.equal(typeof segment.name, 'string');
      assert.equal(typeof segment.analytics_tracking_enabled, 'boolean');
      assert.ok(Array.isArray(segment.tags), 'tags');
    }
    const ascending = await call('segments.list (asc)', () =>
      braze.segments.list({ sort_direction: 'asc' }),
    );
    assert.deepEqual(
      ascending.segments.map((segment) => segment.id),
      listed.segments.map((segment) => segment.id).reverse(),
      'asc is desc reversed',
    );
    const page = await call('segments.list (page 1)', () => braze.segments.list({ page: 1 }));
    assert.deepEqual(page.segments, [], 'one page holds the config (100 a page)');
  },

  async details({ braze }) {
    const segment = await firstSegment(braze);
    const details = await call('segments.details', () =>
      braze.segments.details({ segment_id: segment.id }),
    );
    assert.equal(details.message, 'success');
    assert.equal(details.name, segment.name);
    assert.equal(typeof details.description, 'string');
    assert.ok(Array.isArray(details.tags), 'tags');
    assert.ok(!Number.isNaN(Date.parse(details.created_at)), 'created_at');
    assert.ok(!Number.isNaN(Date.parse(details.updated_at)), 'updated_at');
    await callFails('segments.details (unknown segment)', 400, () =>
      braze.segments.details({ segment_id: 'no-such-segment' }),
    );
  },

  async data_series({ braze }) {
    const segment = await firstSegment(braze);
    // The workers' housekeeping measures the segment when the node starts, beside the API.
    const series = await eventually('the segment\'s first measurement', async () => {
      const answer = await call('segments.analytics (GET /segments/data_series)', () =>
        braze.segments.analytics({ segment_id: segment.id, length: 3 }),
      );
      return answer.data.length > 0 ? answer : undefined;
    });
    assert.equal(series.message, 'success');
    assert.ok(series.data.length >= 1 && series.data.length <= 3, 'one entry a day, at most 3');
    for (const day of series.data) {
      assert.ok(!Number.isNaN(Date.parse(day.time)), `time ${day.time}`);
      assert.ok(Number.isInteger(day.size) && day.size >= 0, `size ${day.size}`);
    }
    await callFails('segments.analytics (length 0)', 400, () =>
      braze.segments.analytics({ segment_id: segment.id, length: 0 }),
    );
    await callFails('segments.analytics (length 101)', 400, () =>
      braze.segments.analytics({ segment_id: segment.id, length: 101 }),
    );
  },
});
