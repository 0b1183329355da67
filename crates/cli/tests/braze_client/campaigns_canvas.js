// The campaign and Canvas reads through the npm braze-api client: list, details,
// data_series and data_summary. The client has methods for `/campaigns/list`,
// `/campaigns/details` and `/canvas/list` only; `/campaigns/data_series`, `/canvas/details`,
// `/canvas/data_series` and `/canvas/data_summary` go through its own request layer
// (`getWithoutMethod`). The analytics steps trigger a send first and wait until it counts.

'use strict';

const {
  CAMPAIGN,
  CANVAS,
  assert,
  call,
  callFails,
  eventually,
  expectLead,
  getWithoutMethod,
  newRecipient,
  run,
  webhookSent,
} = require('./lib');

const CAMPAIGN_NAME = 'Braze client campaign';
const CANVAS_NAME = 'Braze client canvas';

function assertTime(value, what) {
  assert.equal(typeof value, 'string', `${what} is a string`);
  assert.ok(!Number.isNaN(Date.parse(value)), `${what} is a time: ${value}`);
}

/** `messages` as a list, whether keyed by variation id (Braze's page) or a list (the client's type). */
function messageList(messages) {
  if (Array.isArray(messages)) {
    return messages;
  }
  return Object.entries(messages).map(([id, message]) => ({ message_variation_id: id, ...message }));
}

/** Enters a new user into the canvas, whose message creates a Lead. */
async function enterCanvas(braze, externalId, lastName, company) {
  await call('canvas.trigger.send', () =>
    braze.canvas.trigger.send({
      canvas_id: CANVAS,
      context: { company },
      recipients: [newRecipient(externalId, lastName)],
    }),
  );
  expectLead({ LastName: lastName, Company: company });
}

run('campaigns_canvas', {
  async campaigns_list({ braze }) {
    const listed = await call('campaigns.list', () =>
      braze.campaigns.list({ page: 0, include_archived: false, sort_direction: 'desc' }),
    );
    assert.equal(listed.message, 'success');
    const campaign = listed.campaigns.find((item) => item.id === CAMPAIGN);
    assert.ok(campaign, `${CAMPAIGN} is listed`);
    assert.equal(campaign.name, CAMPAIGN_NAME);
    assert.equal(typeof campaign.is_api_campaign, 'boolean');
    assert.ok(Array.isArray(campaign.tags), 'tags');
    assertTime(campaign.last_edited, 'last_edited');

    const since = await call('campaigns.list (last_edit.time[gt] in the past)', () =>
      braze.campaigns.list({ 'last_edit.time[gt]': '2000-01-01T00:00:00' }),
    );
    assert.ok(since.campaigns.some((item) => item.id === CAMPAIGN));
    const none = await call('campaigns.list (last_edit.time[gt] in the future)', () =>
      braze.campaigns.list({ 'last_edit.time[gt]': '2999-01-01T00:00:00' }),
    );
    assert.deepEqual(none.campaigns, []);
    const page = await call('campaigns.list (page 1)', () => braze.campaigns.list({ page: 1 }));
    assert.deepEqual(page.campaigns, [], 'one page holds the config (100 a page)');
  },

  async campaigns_details({ braze }) {
    const details = await call('campaigns.details', () =>
      braze.campaigns.details({ campaign_id: CAMPAIGN }),
    );
    assert.equal(details.message, 'success');
    assert.equal(details.name, CAMPAIGN_NAME);
    assert.equal(details.archived, false);
    assert.equal(details.draft, false);
    assert.deepEqual(details.channels, ['webhook']);
    assert.ok(Array.isArray(details.tags), 'tags');
    assertTime(details.created_at, 'created_at');
    assertTime(details.updated_at, 'updated_at');
    const messages = messageList(details.messages);
    assert.equal(messages.length, 1, 'one message');
    assert.equal(messages[0].channel, 'webhook');
    assert.equal(typeof messages[0].message_variation_id, 'string');
    await callFails('campaigns.details (unknown campaign)', 400, () =>
      braze.campaigns.details({ campaign_id: 'no-such-campaign' }),
    );
  },

  async campaigns_data_series({ braze }) {
    await call('campaigns.trigger.send', () =>
      braze.campaigns.trigger.send({
        campaign_id: CAMPAIGN,
        trigger_properties: { company: 'Braze Client Analytics' },
        recipients: [newRecipient('bc-analytics-1', 'CampaignAnalytics')],
      }),
    );
    expectLead({ LastName: 'CampaignAnalytics', Company: 'Braze Client Analytics' });
    const sent = await eventually('the send to count in /campaigns/data_series', async () => {
      const series = await call('GET /campaigns/data_series (no client method)', () =>
        getWithoutMethod('/campaigns/data_series', { campaign_id: CAMPAIGN, length: 7 }),
      );
      assert.equal(series.message, 'success');
      assert.ok(series.data.length <= 7, 'at most `length` days');
      const total = webhookSent(series.data);
      return total >= 1 ? total : undefined;
    });
    assert.ok(sent >= 1);
    await callFails('GET /campaigns/data_series (no length)', 400, () =>
      getWithoutMethod('/campaigns/data_series', { campaign_id: CAMPAIGN }),
    );
  },

  async canvas_list({ braze }) {
    const listed = await call('canvas.list', () =>
      braze.canvas.list({ page: 0, include_archived: true, sort_direction: 'asc' }),
    );
    assert.equal(listed.message, 'success');
    const canvas = listed.canvases.find((item) => item.id === CANVAS);
    assert.ok(canvas, `${CANVAS} is listed`);
    assert.equal(canvas.name, CANVAS_NAME);
    assert.ok(Array.isArray(canvas.tags), 'tags');
    assertTime(canvas.last_edited, 'last_edited');
    assert.ok(
      listed.canvases.some((item) => item.name === 'Lead Scoring Canvas'),
      "the example's canvas is listed too",
    );
  },

  async canvas_details() {
    const details = await call('GET /canvas/details (no client method)', () =>
      getWithoutMethod('/canvas/details', { canvas_id: CANVAS }),
    );
    assert.equal(details.message, 'success');
    assert.equal(details.name, CANVAS_NAME);
    assert.equal(details.archived, false);
    assert.deepEqual(details.channels, ['webhook']);
    assert.ok(Array.isArray(details.variants) && details.variants.length >= 1, 'variants');
    const step = details.steps.find((item) => item.name === 'Create Lead');
    assert.ok(step, 'the message step');
    assert.deepEqual(step.channels, ['webhook']);
    assert.ok(Array.isArray(step.next_paths), 'next_paths');
    assert.ok(details.variants[0].first_step_ids.includes(step.id), 'the first step');
    await callFails('GET /canvas/details (unknown canvas)', 400, () =>
      getWithoutMethod('/canvas/details', { canvas_id: 'no-such-canvas' }),
    );
  },

  async canvas_data_series({ braze }) {
    await enterCanvas(braze, 'bc-analytics-2', 'CanvasAnalytics', 'Braze Client Canvas Analytics');
    await eventually('the entry to count in /canvas/data_series', async () => {
      const series = await call('GET /canvas/data_series (no client method)', () =>
        getWithoutMethod('/canvas/data_series', {
          canvas_id: CANVAS,
          ending_at: new Date().toISOString(),
          length: 7,
          include_step_breakdown: true,
        }),
      );
      assert.equal(series.message, 'success');
      assert.equal(series.data.name, CANVAS_NAME);
      const entries = series.data.stats.reduce((sum, day) => sum + day.total_stats.entries, 0);
      const sent = webhookSent(
        series.data.stats.flatMap((day) => Object.values(day.step_stats || {})),
      );
      return entries >= 1 && sent >= 1;
    });
  },

  async canvas_data_summary({ braze }) {
    await enterCanvas(braze, 'bc-analytics-3', 'CanvasSummary', 'Braze Client Canvas Summary');
    await eventually('the entry to count in /canvas/data_summary', async () => {
      const summary = await call('GET /canvas/data_summary (no client method)', () =>
        getWithoutMethod('/canvas/data_summary', {
          canvas_id: CANVAS,
          ending_at: new Date().toISOString(),
          length: 7,
          include_variant_breakdown: true,
        }),
      );
      assert.equal(summary.message, 'success');
      assert.equal(summary.data.name, CANVAS_NAME);
      assert.ok(summary.data.variant_stats, 'variant_stats with include_variant_breakdown');
      return summary.data.total_stats.entries >= 1;
    });
  },
});
