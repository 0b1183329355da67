// The sends area through the npm braze-api client: `sends.id.create` (a client method) and
// `/sends/data_series` (no client method: the client's own request layer), both for the
// API campaign (`delivery = "api"`) only. Sends of `messages.send` tracked under a new send
// id must show up in that send's analytics and in no other send id's.

'use strict';

const {
  API_CAMPAIGN,
  API_CAMPAIGN_VARIANT,
  CAMPAIGN,
  assert,
  call,
  callFails,
  eventually,
  expectLead,
  getWithoutMethod,
  run,
  webhookSent,
} = require('./lib');

/** A webhook creating a Lead named by the user's last name, for the API campaign. */
function leadWebhook(salesforce, company) {
  return {
    url: `${salesforce.url}/services/data/v60.0/sobjects/Lead/`,
    request_method: 'POST',
    request_headers: {
      Authorization: `Bearer ${salesforce.token}`,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({ LastName: '{{${last_name}}}', Company: company }),
    message_variation_id: API_CAMPAIGN_VARIANT,
  };
}

/** The `/sends/data_series` of `sendId` for today. */
function series(sendId) {
  return call(`GET /sends/data_series ${sendId} (no client method)`, () =>
    getWithoutMethod('/sends/data_series', {
      campaign_id: API_CAMPAIGN,
      send_id: sendId,
      length: 1,
    }),
  );
}

run('sends', {
  async sends_id_create({ braze }) {
    const created = await call('sends.id.create (named)', () =>
      braze.sends.id.create({ campaign_id: API_CAMPAIGN, send_id: 'bc-send-1' }),
    );
    assert.equal(created.message, 'success');
    assert.equal(created.send_id, 'bc-send-1');
    const generated = await call('sends.id.create (no send_id)', () =>
      braze.sends.id.create({ campaign_id: API_CAMPAIGN }),
    );
    assert.equal(generated.message, 'success');
    assert.equal(typeof generated.send_id, 'string');
    assert.ok(generated.send_id.length > 0 && generated.send_id.length <= 64, 'a send id');
    await callFails('sends.id.create (unknown campaign)', 400, () =>
      braze.sends.id.create({ campaign_id: 'no-such-campaign', send_id: 'bc-send-2' }),
    );
    await callFails('sends.id.create (an API-triggered campaign)', 400, () =>
      braze.sends.id.create({ campaign_id: CAMPAIGN, send_id: 'bc-send-2' }),
    );
    await callFails('sends.id.create (send_id over 64 characters)', 400, () =>
      braze.sends.id.create({ campaign_id: API_CAMPAIGN, send_id: 'x'.repeat(65) }),
    );
  },

  async sends_data_series({ braze, salesforce }) {
    await call('sends.id.create', () =>
      braze.sends.id.create({ campaign_id: API_CAMPAIGN, send_id: 'bc-send-series' }),
    );
    const tracked = await call('users.track', () =>
      braze.users.track({ attributes: [{ external_id: 'bc-send-1', last_name: 'SendSeries' }] }),
    );
    assert.equal(tracked.attributes_processed, 1);
    const sent = await call('messages.send (API campaign, with send_id)', () =>
      braze.messages.send({
        campaign_id: API_CAMPAIGN,
        send_id: 'bc-send-series',
        external_user_ids: ['bc-send-1'],
        messages: { webhook: leadWebhook(salesforce(), 'Braze Client Send Id') },
      }),
    );
    assert.equal(sent.message, 'success');
    expectLead({ LastName: 'SendSeries', Company: 'Braze Client Send Id' });
    await eventually('the send to count in /sends/data_series', async () => {
      const answer = await series('bc-send-series');
      assert.equal(answer.message, 'success');
      assert.equal(answer.data.length, 1, 'one day per `length`');
      const webhook = answer.data[0].messages.webhook[0];
      assert.equal(webhook.variation_api_id, `${API_CAMPAIGN}-webhook`);
      return webhookSent(answer.data) >= 1 && answer.data[0].unique_recipients >= 1;
    });
    const other = await series('bc-send-unused');
    assert.equal(webhookSent(other.data), 0, 'sends are counted under their own send id');
    await callFails('GET /sends/data_series (an API-triggered campaign)', 400, () =>
      getWithoutMethod('/sends/data_series', {
        campaign_id: CAMPAIGN,
        send_id: 'bc-send-series',
        length: 1,
      }),
    );
  },
});
