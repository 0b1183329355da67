// The messaging area through the npm braze-api client: campaign and Canvas trigger sends,
// `messages/send`, the three kinds of schedules and `messages/scheduled_broadcasts`. Every
// send that must reach Salesforce is announced with `expect-lead`; the Rust test then finds
// the Lead in the emulator, so the sends are proven to happen, with their properties.

'use strict';

const {
  CAMPAIGN,
  CANVAS,
  assert,
  call,
  callFails,
  expectLead,
  inSeconds,
  newRecipient,
  run,
} = require('./lib');

/** A `webhook` messaging object that creates a Lead whose last name is the user's. */
function leadWebhook(salesforce, company) {
  return {
    url: `${salesforce.url}/services/data/v60.0/sobjects/Lead/`,
    request_method: 'POST',
    request_headers: {
      Authorization: `Bearer ${salesforce.token}`,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({ LastName: '{{${last_name}}}', Company: company }),
  };
}

/** Tracks users with these external ids and last names. */
async function trackUsers(braze, users) {
  const tracked = await call('users.track', () =>
    braze.users.track({
      attributes: users.map(([external_id, last_name]) => ({ external_id, last_name })),
    }),
  );
  assert.equal(tracked.attributes_processed, users.length);
}

function assertDispatched(name, body) {
  assert.equal(body.message, 'success', `${name}: message`);
  assert.equal(typeof body.dispatch_id, 'string', `${name}: dispatch_id`);
  assert.ok(body.dispatch_id.length > 0, `${name}: a non-empty dispatch_id`);
}

function assertScheduled(name, body) {
  assertDispatched(name, body);
  assert.equal(typeof body.schedule_id, 'string', `${name}: schedule_id`);
  assert.ok(body.schedule_id.length > 0, `${name}: a non-empty schedule_id`);
}

run('messaging', {
  async campaigns_trigger_send({ braze }) {
    const sent = await call('campaigns.trigger.send (recipients, trigger_properties)', () =>
      braze.campaigns.trigger.send({
        campaign_id: CAMPAIGN,
        trigger_properties: { company: 'Braze Client Campaign' },
        recipients: [
          newRecipient('bc-campaign-1', 'CampaignTop'),
          newRecipient('bc-campaign-2', 'CampaignRecipient', {
            trigger_properties: { company: 'Braze Client Recipient' },
          }),
        ],
      }),
    );
    assertDispatched('campaigns.trigger.send', sent);
    expectLead({ LastName: 'CampaignTop', Company: 'Braze Client Campaign' });
    // Recipient-level properties override the request's on conflicting keys.
    expectLead({ LastName: 'CampaignRecipient', Company: 'Braze Client Recipient' });

    const unknown = await callFails('campaigns.trigger.send (unknown campaign)', 400, () =>
      braze.campaigns.trigger.send({
        campaign_id: 'no-such-campaign',
        recipients: [{ external_user_id: 'bc-campaign-1' }],
      }),
    );
    assert.equal(unknown.message, 'Invalid Campaign ID');
    assert.ok(Array.isArray(unknown.errors) && unknown.errors.length > 0, 'errors say why');
    await callFails('campaigns.trigger.send (no recipients, no broadcast)', 400, () =>
      braze.campaigns.trigger.send({ campaign_id: CAMPAIGN }),
    );
  },

  async canvas_trigger_send({ braze }) {
    // `context` is the name on Braze's current page.
    const sent = await call('canvas.trigger.send (recipients, context)', () =>
      braze.canvas.trigger.send({
        canvas_id: CANVAS,
        context: { company: 'Braze Client Canvas' },
        recipients: [newRecipient('bc-canvas-1', 'CanvasContext')],
      }),
    );
    assertDispatched('canvas.trigger.send', sent);
    expectLead({ LastName: 'CanvasContext', Company: 'Braze Client Canvas' });

    const unknown = await callFails('canvas.trigger.send (unknown canvas)', 400, () =>
      braze.canvas.trigger.send({
        canvas_id: 'no-such-canvas',
        recipients: [{ external_user_id: 'bc-canvas-1' }],
      }),
    );
    assert.equal(unknown.message, 'Invalid Canvas ID');
  },

  async canvas_trigger_send_entry_properties({ braze }) {
    // `canvas_entry_properties` is the name in the client's types and Braze's older pages.
    const sent = await call('canvas.trigger.send (canvas_entry_properties)', () =>
      braze.canvas.trigger.send({
        canvas_id: CANVAS,
        canvas_entry_properties: { company: 'Braze Client Entry Properties' },
        recipients: [
          newRecipient('bc-canvas-2', 'CanvasEntryTop'),
          newRecipient('bc-canvas-3', 'CanvasEntryRecipient', {
            canvas_entry_properties: { company: 'Braze Client Entry Recipient' },
          }),
        ],
      }),
    );
    assertDispatched('canvas.trigger.send', sent);
    expectLead({ LastName: 'CanvasEntryTop', Company: 'Braze Client Entry Properties' });
    expectLead({ LastName: 'CanvasEntryRecipient', Company: 'Braze Client Entry Recipient' });
  },

  async messages_send({ braze, salesforce }) {
    await trackUsers(braze, [['bc-message-1', 'MessageSend']]);
    const sent = await call('messages.send (webhook to external_user_ids)', () =>
      braze.messages.send({
        external_user_ids: ['bc-message-1'],
        messages: { webhook: leadWebhook(salesforce(), 'Braze Client Messages') },
      }),
    );
    assertDispatched('messages.send', sent);
    expectLead({ LastName: 'MessageSend', Company: 'Braze Client Messages' });

    await callFails('messages.send (no recipients)', 400, () =>
      braze.messages.send({ messages: { webhook: leadWebhook(salesforce(), 'Nobody') } }),
    );

    // A connected audience: every profile it admits, paged by the workers.
    await trackUsers(braze, [['bc-message-2', 'MessageAudience']]);
    const audience = await call('messages.send (audience)', () =>
      braze.messages.send({
        audience: {
          AND: [
            {
              custom_attribute: {
                custom_attribute_name: 'last_name',
                comparison: 'equals',
                value: 'MessageAudience',
              },
            },
          ],
        },
        messages: { webhook: leadWebhook(salesforce(), 'Braze Client Audience') },
      }),
    );
    assertDispatched('messages.send (audience)', audience);
    expectLead({ LastName: 'MessageAudience', Company: 'Braze Client Audience' });
    await callFails('messages.send (unsupported audience filter)', 400, () =>
      braze.messages.send({
        audience: { last_used_app: { comparison: 'after', value: inSeconds(-86_400) } },
        messages: { webhook: leadWebhook(salesforce(), 'Nobody') },
      }),
    );
  },

  async messages_schedule({ braze, salesforce }) {
    await trackUsers(braze, [
      ['bc-schedule-1', 'MessageScheduled'],
      ['bc-schedule-2', 'MessageScheduledLater'],
    ]);
    const soon = await call('messages.schedule.create (fires in 5 s)', () =>
      braze.messages.schedule.create({
        external_user_ids: ['bc-schedule-1'],
        messages: { webhook: leadWebhook(salesforce(), 'Braze Client Scheduled') },
        schedule: { time: inSeconds(5) },
      }),
    );
    assertScheduled('messages.schedule.create', soon);
    expectLead({ LastName: 'MessageScheduled', Company: 'Braze Client Scheduled' });

    const later = await call('messages.schedule.create (tomorrow)', () =>
      braze.messages.schedule.create({
        external_user_ids: ['bc-schedule-2'],
        messages: { webhook: leadWebhook(salesforce(), 'Braze Client Never') },
        schedule: { time: inSeconds(86_400) },
      }),
    );
    assertScheduled('messages.schedule.create', later);
    const updated = await call('messages.schedule.update (the day after)', () =>
      braze.messages.schedule.update({
        schedule_id: later.schedule_id,
        schedule: { time: inSeconds(2 * 86_400) },
      }),
    );
    assert.equal(updated.message, 'success');
    const deleted = await call('messages.schedule.delete', () =>
      braze.messages.schedule.delete({ schedule_id: later.schedule_id }),
    );
    assert.equal(deleted.message, 'success');
  },

  async campaigns_trigger_schedule({ braze }) {
    const soon = await call('campaigns.trigger.schedule.create (fires in 5 s)', () =>
      braze.campaigns.trigger.schedule.create({
        campaign_id: CAMPAIGN,
        trigger_properties: { company: 'Braze Client Campaign Scheduled' },
        recipients: [newRecipient('bc-campaign-schedule-1', 'CampaignScheduled')],
        schedule: { time: inSeconds(5) },
      }),
    );
    assertScheduled('campaigns.trigger.schedule.create', soon);
    expectLead({ LastName: 'CampaignScheduled', Company: 'Braze Client Campaign Scheduled' });

    const later = await call('campaigns.trigger.schedule.create (tomorrow)', () =>
      braze.campaigns.trigger.schedule.create({
        campaign_id: CAMPAIGN,
        trigger_properties: { company: 'Braze Client Never' },
        recipients: [newRecipient('bc-campaign-schedule-2', 'CampaignNever')],
        schedule: { time: inSeconds(86_400) },
      }),
    );
    assertScheduled('campaigns.trigger.schedule.create', later);
    const updated = await call('campaigns.trigger.schedule.update', () =>
      braze.campaigns.trigger.schedule.update({
        campaign_id: CAMPAIGN,
        schedule_id: later.schedule_id,
        schedule: { time: inSeconds(2 * 86_400) },
      }),
    );
    assert.equal(updated.message, 'success');
    const deleted = await call('campaigns.trigger.schedule.delete', () =>
      braze.campaigns.trigger.schedule.delete({
        campaign_id: CAMPAIGN,
        schedule_id: later.schedule_id,
      }),
    );
    assert.equal(deleted.message, 'success');
  },

  async canvas_trigger_schedule({ braze }) {
    const soon = await call('canvas.trigger.schedule.create (fires in 5 s)', () =>
      braze.canvas.trigger.schedule.create({
        canvas_id: CANVAS,
        canvas_entry_properties: { company: 'Braze Client Canvas Scheduled' },
        recipients: [newRecipient('bc-canvas-schedule-1', 'CanvasScheduled')],
        schedule: { time: inSeconds(5) },
      }),
    );
    assertScheduled('canvas.trigger.schedule.create', soon);
    expectLead({ LastName: 'CanvasScheduled', Company: 'Braze Client Canvas Scheduled' });

    const later = await call('canvas.trigger.schedule.create (tomorrow)', () =>
      braze.canvas.trigger.schedule.create({
        canvas_id: CANVAS,
        recipients: [newRecipient('bc-canvas-schedule-2', 'CanvasNever')],
        schedule: { time: inSeconds(86_400) },
      }),
    );
    assertScheduled('canvas.trigger.schedule.create', later);
    const updated = await call('canvas.trigger.schedule.update', () =>
      braze.canvas.trigger.schedule.update({
        canvas_id: CANVAS,
        schedule_id: later.schedule_id,
        schedule: { time: inSeconds(2 * 86_400) },
      }),
    );
    assert.equal(updated.message, 'success');
    const deleted = await call('canvas.trigger.schedule.delete', () =>
      braze.canvas.trigger.schedule.delete({ canvas_id: CANVAS, schedule_id: later.schedule_id }),
    );
    assert.equal(deleted.message, 'success');
  },

  async scheduled_broadcasts({ braze }) {
    const listed = await call('messages.scheduled_broadcasts', () =>
      braze.messages.scheduled_broadcasts({ end_time: inSeconds(7 * 86_400) }),
    );
    assert.ok(Array.isArray(listed.scheduled_broadcasts), 'scheduled_broadcasts is an array');
    for (const item of listed.scheduled_broadcasts) {
      assert.equal(typeof item.name, 'string');
      assert.equal(typeof item.id, 'string');
      assert.ok(['Campaign', 'Canvas'].includes(item.type), `type ${item.type}`);
      assert.ok(Array.isArray(item.tags), 'tags');
      assert.ok(!Number.isNaN(Date.parse(item.next_send_time)), 'next_send_time is a time');
      assert.equal(typeof item.schedule_type, 'string');
    }
    await callFails('messages.scheduled_broadcasts (no end_time)', 400, () =>
      braze.messages.scheduled_broadcasts({}),
    );
  },
});
