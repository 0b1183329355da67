// The sends area through the npm braze-api client: `sends/id/create` (a client method) and
// `/sends/data_series` (no client method: the client's own request layer). A send tracked
// under the new send id must show up in that send's analytics.

'use strict';

const {
  CAMPAIGN,
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

run('sends', {
  async sends_id_create({ braze }) {
    const created = await call('sends.id.create (named)', () =>
      braze.sends.id.create({ campaign_id: CAMPAIGN, send_id: 'bc-send-1' }),
    );
    assert.equal(created.message, 'success');
    assert.equal(created.send_id, 'bc-send-1');
    const generated = await call('sends.id.create (no send_id)', () =>
      braze.sends.id.create({ campaign_id: CAMPAIGN }),
    );
    assert.equal(generated.message, 'success');
    assert.equal(typeof generated.send_id, 'string');
    assert.ok(generated.send_id.length > 0 && generated.send_id.length <= 64, 'a send id');
    await callFails('sends.id.create (unknown campaign)', 400, () =>
      braze.sends.id.create({ campaign_id: 'no-such-campaign', send_id: 'bc-send-2' }),
    );
    await callFails('sends.id.create (send_id over 64 characters)', 400, () =>
      braze.sends.id.create({ campaign_id: CAMPAIGN, send_id: 'x'.repeat(65) }),
    );
  },

  async sends_data_series({ braze }) {
    await call('sends.id.create', () =>
      braze.sends.id.create({ campaign_id: CAMPAIGN, send_id: 'bc-send-series' }),
    );
    const sent = await call('campaigns.trigger.send (with send_id)', () =>
      braze.campaigns.trigger.send({
        campaign_id: CAMPAIGN,
        send_id: 'bc-send-series',
        trigger_properties: { company: 'Braze Client Send Id' },
        recipients: [newRecipient('bc-send-1', 'SendSeries')],
      }),
    );
    assert.equal(sent.message, 'success');
    expectLead({ LastName: 'SendSeries', Company: 'Braze Client Send Id' });
    await eventually('the send to count in /sends/data_series', async () => {
      const series = await call('GET /sends/data_series (no client method)', () =>
        getWithoutMethod('/sends/data_series', {
          campaign_id: CAMPAIGN,
          send_id: 'bc-send-series',
          length: 1,
        }),
      );
      assert.equal(series.message, 'success');
      assert.ok(series.data.length <= 1, 'at most `length` days');
      return webhookSent(series.data) >= 1;
    });
    const other = await call('GET /sends/data_series (another send id)', () =>
      getWithoutMethod('/sends/data_series', {
        campaign_id: CAMPAIGN,
        send_id: 'bc-send-unused',
        length: 1,
      }),
    );
    assert.equal(webhookSent(other.data), 0, 'sends are counted under their own send id');
  },
});
