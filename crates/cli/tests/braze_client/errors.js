// How the npm braze-api client reads leadwire's errors: it throws a `ResponseError` with
// the body's `message` and `errors` and the HTTP status, and it parses every body as JSON,
// so every answer, 401, 403 and 404 included, must be JSON.

'use strict';

const { assert, call, callFails, run } = require('./lib');

run('errors', {
  async unknown_key({ unknownKey }) {
    const error = await callFails('users.track (unknown key)', 401, () =>
      unknownKey.users.track({ attributes: [{ external_id: 'bc-errors-1' }] }),
    );
    assert.ok(Array.isArray(error.errors) && error.errors.length > 0, 'errors say why');
  },

  async missing_permission({ limited }) {
    const tracked = await call('users.track (limited key)', () =>
      limited.users.track({ attributes: [{ external_id: 'bc-errors-2' }] }),
    );
    assert.equal(tracked.message, 'success');
    const error = await callFails('users.delete (key without users.delete)', 403, () =>
      limited.users.delete({ external_ids: ['bc-errors-2'] }),
    );
    assert.ok(
      JSON.stringify(error.errors).includes('users.delete'),
      'the error names the permission',
    );
  },

  async bad_request({ braze }) {
    const error = await callFails('users.export.ids (unknown field)', 400, () =>
      braze.users.export.ids({ external_ids: ['bc-errors-2'], fields_to_export: ['shoe_size'] }),
    );
    assert.ok(JSON.stringify(error.errors).includes('shoe_size'), 'the error names the field');
    await callFails('users.delete (51 ids)', 400, () =>
      braze.users.delete({ external_ids: Array.from({ length: 51 }, (_, i) => `bc-${i}`) }),
    );
  },
});
