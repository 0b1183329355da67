// The users area through the npm braze-api client: track, export ids, delete, alias
// new/update, identify, merge, external_ids rename/remove, export segment. Each step makes
// its own users (with `users.track`) and reads them back with `users.export.ids`.
// `export_segment` needs a segment in the node's config.

'use strict';

const {
  assert,
  call,
  callFails,
  eventually,
  expectLead,
  exportOne,
  run,
  unknownIds,
} = require('./lib');

const FIELDS = [
  'external_id',
  'user_aliases',
  'braze_id',
  'first_name',
  'last_name',
  'email',
  'custom_attributes',
  'custom_events',
  'purchases',
];

/** Tracks one profile with these attributes and checks the answer. */
async function trackUser(braze, name, attributes) {
  const tracked = await call(name, () => braze.users.track({ attributes: [attributes] }));
  assert.equal(tracked.message, 'success', `${name}: message`);
  assert.equal(tracked.attributes_processed, 1, `${name}: attributes_processed`);
}

const alias = (alias_name) => ({ alias_name, alias_label: 'braze_client' });

run('users', {
  async track({ braze }) {
    const now = new Date().toISOString();
    const tracked = await call('users.track (attributes, event, purchase)', () =>
      braze.users.track({
        attributes: [
          {
            external_id: 'bc-track-1',
            first_name: 'Grace',
            last_name: 'Hopper',
            company: 'Braze Client Track',
            lead_stage: 'Lead',
          },
        ],
        events: [{ external_id: 'bc-track-1', name: 'webinar_registered', time: now }],
        purchases: [
          {
            external_id: 'bc-track-1',
            product_id: 'starter-plan',
            currency: 'USD',
            price: 12.5,
            quantity: 1,
            time: now,
          },
        ],
      }),
    );
    assert.equal(tracked.message, 'success');
    assert.equal(tracked.attributes_processed, 1);
    assert.equal(tracked.events_processed, 1);
    assert.equal(tracked.purchases_processed, 1);

    // The client's `bulk` flag adds `X-Braze-Bulk: true`.
    const bulk = await call('users.track (bulk)', () =>
      braze.users.track(
        { attributes: [{ external_id: 'bc-track-1', home_city: 'Arlington' }] },
        true,
      ),
    );
    assert.equal(bulk.message, 'success');
    assert.equal(bulk.attributes_processed, 1);

    const user = await exportOne(braze, 'users.export.ids (the tracked user)', {
      external_ids: ['bc-track-1'],
      fields_to_export: [...FIELDS, 'home_city'],
    });
    assert.equal(user.external_id, 'bc-track-1');
    assert.equal(user.first_name, 'Grace');
    assert.equal(user.home_city, 'Arlington');
    assert.equal(user.custom_attributes.company, 'Braze Client Track');
    assert.deepEqual(
      user.custom_events.map((event) => [event.name, event.count]),
      [['webinar_registered', 1]],
    );
    assert.deepEqual(
      user.purchases.map((purchase) => [purchase.name, purchase.count]),
      [['starter-plan', 1]],
    );
    // The example's "New lead to Salesforce" campaign fires on the new email address, and
    // its capture keeps the Lead's id in `salesforce_lead_id` (the user keeps `bc-track-1`:
    // a capture never renames an external_id).
    await trackUser(braze, 'users.track (the email address)', {
      external_id: 'bc-track-1',
      email: 'track@braze-client.test',
    });
    expectLead({ Email: 'track@braze-client.test', Company: 'Braze Client Track' });

    const refused = await callFails('users.track (no identifier)', 400, () =>
      braze.users.track({ attributes: [{ first_name: 'Nobody' }] }),
    );
    assert.ok(Array.isArray(refused.errors) && refused.errors.length === 1, 'one error item');
  },

  async export_ids({ braze }) {
    await trackUser(braze, 'users.track (first)', {
      external_id: 'bc-export-1',
      first_name: 'Ada',
      phone: '+14155550101',
    });
    await trackUser(braze, 'users.track (second)', {
      external_id: 'bc-export-2',
      first_name: 'Alan',
      last_name: 'Turing',
      company: 'Braze Client Export',
    });
    const exported = await call('users.export.ids (external_ids, one unknown)', () =>
      braze.users.export.ids({
        external_ids: ['bc-export-1', 'bc-export-2', 'bc-export-missing'],
        fields_to_export: ['external_id', 'first_name', 'braze_id'],
      }),
    );
    assert.equal(exported.message, 'success');
    assert.deepEqual(
      exported.users.map((user) => [user.external_id, user.first_name]).sort(),
      [
        ['bc-export-1', 'Ada'],
        ['bc-export-2', 'Alan'],
      ],
    );
    assert.deepEqual(exported.invalid_user_ids, ['bc-export-missing']);
    assert.ok(exported.users.every((user) => typeof user.braze_id === 'string'));
    for (const user of exported.users) {
      assert.deepEqual(Object.keys(user).sort(), ['braze_id', 'external_id', 'first_name']);
    }

    const byPhone = await exportOne(braze, 'users.export.ids (phone)', {
      phone: '+14155550101',
      fields_to_export: ['external_id'],
    });
    assert.equal(byPhone.external_id, 'bc-export-1');

    const first = exported.users.find((user) => user.external_id === 'bc-export-1');
    const byBrazeId = await exportOne(braze, 'users.export.ids (braze_id)', {
      braze_id: first.braze_id,
      fields_to_export: ['external_id'],
    });
    assert.equal(byBrazeId.external_id, 'bc-export-1');

    // Last, as the Lead's id becomes the external_id once the example's campaign has sent.
    await trackUser(braze, 'users.track (an email address)', {
      external_id: 'bc-export-2',
      email: 'export-2@braze-client.test',
    });
    const byEmail = await exportOne(braze, 'users.export.ids (email_address)', {
      email_address: 'export-2@braze-client.test',
      fields_to_export: ['first_name', 'custom_attributes'],
    });
    assert.equal(byEmail.first_name, 'Alan');
    assert.equal(byEmail.custom_attributes.company, 'Braze Client Export');
    expectLead({ Email: 'export-2@braze-client.test', Company: 'Braze Client Export' });
  },

  async delete({ braze }) {
    await trackUser(braze, 'users.track', { external_id: 'bc-delete-1', first_name: 'Temp' });
    const deleted = await call('users.delete (external_ids)', () =>
      braze.users.delete({ external_ids: ['bc-delete-1'] }),
    );
    assert.equal(deleted.deleted, 1, 'deleted');
    const unknown = await eventually('the deleted user to be gone', async () => {
      const ids = await unknownIds(braze, 'users.export.ids (deleted)', ['bc-delete-1']);
      return ids.length === 1 ? ids : undefined;
    });
    assert.deepEqual(unknown, ['bc-delete-1']);
  },

  async alias_new({ braze }) {
    await trackUser(braze, 'users.track', { external_id: 'bc-alias-1', first_name: 'Lin' });
    const added = await call('users.alias.new (on an identified user, and alias-only)', () =>
      braze.users.alias.new({
        user_aliases: [
          { external_id: 'bc-alias-1', ...alias('alias-of-bc-alias-1') },
          alias('alias-only-1'),
        ],
      }),
    );
    assert.equal(added.message, 'success');
    assert.equal(added.aliases_processed, 2);
    const identified = await exportOne(braze, 'users.export.ids (by the new alias)', {
      user_aliases: [alias('alias-of-bc-alias-1')],
      fields_to_export: ['external_id', 'user_aliases', 'first_name'],
    });
    assert.equal(identified.external_id, 'bc-alias-1');
    assert.equal(identified.first_name, 'Lin');
    assert.deepEqual(identified.user_aliases, [alias('alias-of-bc-alias-1')]);
    const aliasOnly = await exportOne(braze, 'users.export.ids (the alias-only user)', {
      user_aliases: [alias('alias-only-1')],
      fields_to_export: ['external_id', 'user_aliases', 'braze_id'],
    });
    assert.equal(aliasOnly.external_id, undefined, 'an alias-only user has no external_id');
    assert.deepEqual(aliasOnly.user_aliases, [alias('alias-only-1')]);
  },

  async alias_update({ braze }) {
    await call('users.alias.new', () =>
      braze.users.alias.new({ user_aliases: [alias('old-name-1')] }),
    );
    const updated = await call('users.alias.update', () =>
      braze.users.alias.update({
        alias_updates: [
          { alias_label: 'braze_client', old_alias_name: 'old-name-1', new_alias_name: 'new-name-1' },
        ],
      }),
    );
    assert.equal(updated.message, 'success');
    const renamed = await exportOne(braze, 'users.export.ids (the new alias name)', {
      user_aliases: [alias('new-name-1')],
      fields_to_export: ['user_aliases'],
    });
    assert.deepEqual(renamed.user_aliases, [alias('new-name-1')]);
    const old = await call('users.export.ids (the old alias name)', () =>
      braze.users.export.ids({ user_aliases: [alias('old-name-1')], fields_to_export: ['user_aliases'] }),
    );
    assert.deepEqual(old.users, []);
  },

  async identify({ braze }) {
    const tracked = await call('users.track (an alias-only profile)', () =>
      braze.users.track({
        attributes: [
          {
            user_alias: alias('anonymous-1'),
            _update_existing_only: false,
            first_name: 'Anon',
            favourite_colour: 'teal',
          },
        ],
      }),
    );
    assert.equal(tracked.attributes_processed, 1);
    await trackUser(braze, 'users.track (the identified profile)', {
      external_id: 'bc-identify-1',
      last_name: 'Known',
    });
    const identified = await call('users.identify (aliases_to_identify)', () =>
      braze.users.identify({
        aliases_to_identify: [{ external_id: 'bc-identify-1', user_alias: alias('anonymous-1') }],
      }),
    );
    assert.equal(identified.message, 'success');
    assert.equal(identified.aliases_processed, 1);
    const user = await eventually('the alias to be identified', async () => {
      const found = await exportOne(braze, 'users.export.ids (the identified user)', {
        external_ids: ['bc-identify-1'],
        fields_to_export: FIELDS,
      });
      return found.user_aliases && found.user_aliases.length > 0 ? found : undefined;
    });
    assert.deepEqual(user.user_aliases, [alias('anonymous-1')]);
    assert.equal(user.first_name, 'Anon', 'copied from the anonymous profile');
    assert.equal(user.last_name, 'Known');
    assert.equal(user.custom_attributes.favourite_colour, 'teal');
  },

  async merge({ braze }) {
    await trackUser(braze, 'users.track (to keep)', {
      external_id: 'bc-merge-keep',
      first_name: 'Kept',
      plan: 'gold',
    });
    await trackUser(braze, 'users.track (to merge)', {
      external_id: 'bc-merge-gone',
      first_name: 'Merged',
      last_name: 'Away',
      plan: 'silver',
      only_on_merged: true,
    });
    const merged = await call('users.merge', () =>
      braze.users.merge({
        merge_updates: [
          {
            identifier_to_merge: { external_id: 'bc-merge-gone' },
            identifier_to_keep: { external_id: 'bc-merge-keep' },
          },
        ],
      }),
    );
    assert.equal(merged.message, 'success');
    await eventually('the merged user to be gone', async () => {
      const ids = await unknownIds(braze, 'users.export.ids (merged away)', ['bc-merge-gone']);
      return ids.includes('bc-merge-gone');
    });
    const kept = await exportOne(braze, 'users.export.ids (the kept user)', {
      external_ids: ['bc-merge-keep'],
      fields_to_export: FIELDS,
    });
    assert.equal(kept.first_name, 'Kept', 'the kept value wins');
    assert.equal(kept.last_name, 'Away', 'an empty field is filled from the merged user');
    assert.equal(kept.custom_attributes.plan, 'gold');
    assert.equal(kept.custom_attributes.only_on_merged, true);
  },

  async external_ids_rename({ braze }) {
    await trackUser(braze, 'users.track', { external_id: 'bc-rename-old', first_name: 'Renamed' });
    const renamed = await call('users.external_ids.rename', () =>
      braze.users.external_ids.rename({
        external_id_renames: [
          { current_external_id: 'bc-rename-old', new_external_id: 'bc-rename-new' },
          { current_external_id: 'bc-rename-missing', new_external_id: 'bc-rename-other' },
        ],
      }),
    );
    assert.equal(renamed.message, 'success');
    assert.equal(renamed.external_ids.length, 1, 'one rename succeeded');
    assert.equal(renamed.rename_errors.length, 1, 'the unknown id is reported');
    for (const id of ['bc-rename-new', 'bc-rename-old']) {
      const user = await exportOne(braze, `users.export.ids (${id})`, {
        external_ids: [id],
        fields_to_export: ['external_id', 'first_name'],
      });
      assert.equal(user.external_id, 'bc-rename-new', 'the new id is the primary one');
      assert.equal(user.first_name, 'Renamed');
    }
  },

  async external_ids_remove({ braze }) {
    await trackUser(braze, 'users.track', { external_id: 'bc-remove-old', first_name: 'Removed' });
    await call('users.external_ids.rename', () =>
      braze.users.external_ids.rename({
        external_id_renames: [
          { current_external_id: 'bc-remove-old', new_external_id: 'bc-remove-new' },
        ],
      }),
    );
    const removed = await call('users.external_ids.remove (deprecated and primary)', () =>
      braze.users.external_ids.remove({ external_ids: ['bc-remove-old', 'bc-remove-new'] }),
    );
    assert.equal(removed.message, 'success');
    assert.deepEqual(removed.removed_ids, ['bc-remove-old']);
    assert.equal(removed.removal_errors.length, 1, 'a primary id cannot be removed');
    assert.deepEqual(
      await unknownIds(braze, 'users.export.ids (the removed id)', ['bc-remove-old']),
      ['bc-remove-old'],
    );
    const user = await exportOne(braze, 'users.export.ids (the primary id)', {
      external_ids: ['bc-remove-new'],
      fields_to_export: ['first_name'],
    });
    assert.equal(user.first_name, 'Removed');
  },

  async export_segment({ braze }) {
    const listed = await call('segments.list', () => braze.segments.list());
    assert.ok(listed.segments.length > 0, "the node's config must hold a segment");
    const exported = await call('users.export.segment', () =>
      braze.users.export.segment({
        segment_id: listed.segments[0].id,
        fields_to_export: ['external_id', 'email', 'custom_attributes'],
      }),
    );
    assert.equal(exported.message, 'success');
    assert.equal(typeof exported.object_prefix, 'string');
    assert.ok(exported.object_prefix.length > 0, 'object_prefix');
    await callFails('users.export.segment (unknown segment)', 400, () =>
      braze.users.export.segment({ segment_id: 'no-such-segment', fields_to_export: ['external_id'] }),
    );
  },
});
