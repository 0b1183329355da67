// The Content Blocks area through the npm braze-api client, whose methods live under
// `braze.templates.content_blocks`: create, list, get (`GET /content_blocks/info`), update,
// and a block rendered into a `messages/send` webhook by `{{content_blocks.${name}}}`.

'use strict';

const { assert, call, callFails, expectLead, run } = require('./lib');

run('content_blocks', {
  async create_list_info_update({ braze }) {
    const blocks = braze.templates.content_blocks;
    const created = await call('templates.content_blocks.create', () =>
      blocks.create({
        name: 'bc_greeting',
        description: 'A greeting for the braze-api client test',
        content: 'Hello {{${first_name}}}',
        state: 'active',
      }),
    );
    assert.equal(created.message, 'success');
    assert.equal(typeof created.content_block_id, 'string');
    assert.equal(created.liquid_tag, '{{content_blocks.${bc_greeting}}}');
    assert.ok(!Number.isNaN(Date.parse(created.created_at)), 'created_at');
    const id = created.content_block_id;

    const listed = await call('templates.content_blocks.list', () => blocks.list({ limit: 10 }));
    const entry = listed.content_blocks.find((block) => block.content_block_id === id);
    assert.ok(entry, 'the new block is listed');
    assert.equal(listed.count, listed.content_blocks.length);
    assert.equal(entry.name, 'bc_greeting');
    assert.ok(['html', 'text'].includes(entry.content_type), `content_type ${entry.content_type}`);
    assert.equal(entry.liquid_tag, created.liquid_tag);
    assert.equal(entry.inclusion_count, 0);
    assert.ok(Array.isArray(entry.tags), 'tags');

    const info = await call('templates.content_blocks.get (GET /content_blocks/info)', () =>
      blocks.get({ content_block_id: id, include_inclusion_data: true }),
    );
    assert.equal(info.message, 'success');
    assert.equal(info.content_block_id, id);
    assert.equal(info.name, 'bc_greeting');
    assert.equal(info.content, 'Hello {{${first_name}}}');
    assert.equal(info.description, 'A greeting for the braze-api client test');
    assert.equal(info.content_type, entry.content_type);
    assert.equal(info.inclusion_count, 0);

    const updated = await call('templates.content_blocks.update', () =>
      blocks.update({ content_block_id: id, content: '<p>Hi {{${first_name}}}</p>' }),
    );
    assert.equal(updated.message, 'success');
    assert.equal(updated.content_block_id, id);
    assert.equal(updated.liquid_tag, created.liquid_tag);
    const after = await call('templates.content_blocks.get (after the update)', () =>
      blocks.get({ content_block_id: id }),
    );
    assert.equal(after.content, '<p>Hi {{${first_name}}}</p>');

    const taken = await callFails('templates.content_blocks.create (name taken)', 400, () =>
      blocks.create({ name: 'bc_greeting', content: 'again' }),
    );
    assert.match(
      [taken.message, ...(taken.errors || []).map((e) => JSON.stringify(e))].join(' '),
      /already exists/,
    );
    await callFails('templates.content_blocks.create (bad name)', 400, () =>
      blocks.create({ name: 'has spaces', content: 'x' }),
    );
    await callFails('templates.content_blocks.create (malformed Liquid)', 400, () =>
      blocks.create({ name: 'bc_broken', content: '{% if %}' }),
    );
    await callFails('templates.content_blocks.get (unknown id)', 400, () =>
      blocks.get({ content_block_id: 'no-such-block' }),
    );
    await callFails('templates.content_blocks.list (limit 0)', 400, () =>
      blocks.list({ limit: 0 }),
    );
  },

  async rendered_in_a_send({ braze, salesforce }) {
    const created = await call('templates.content_blocks.create', () =>
      braze.templates.content_blocks.create({ name: 'bc_company', content: 'Blocks {{${last_name}}} Inc' }),
    );
    await call('users.track', () =>
      braze.users.track({ attributes: [{ external_id: 'bc-block-1', last_name: 'BlockUser' }] }),
    );
    const sf = salesforce();
    const sent = await call('messages.send (a webhook using the block)', () =>
      braze.messages.send({
        external_user_ids: ['bc-block-1'],
        messages: {
          webhook: {
            url: `${sf.url}/services/data/v60.0/sobjects/Lead/`,
            request_method: 'POST',
            request_headers: {
              Authorization: `Bearer ${sf.token}`,
              'Content-Type': 'application/json',
            },
            body: JSON.stringify({ LastName: '{{${last_name}}}', Company: created.liquid_tag }),
          },
        },
      }),
    );
    assert.equal(sent.message, 'success');
    expectLead({ LastName: 'BlockUser', Company: 'Blocks BlockUser Inc' });
  },
});
