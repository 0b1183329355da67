// What the braze-api interop scripts share: the real npm `braze-api` client (loaded,
// unmodified, from LEADWIRE_BRAZE_CLIENT, a node_modules directory), a runner for an area's
// steps, and a `call` wrapper that prints every call it makes, so a failure names the call,
// its status and the body the client read.
//
// Environment: LEADWIRE_BRAZE_CLIENT, LEADWIRE_URL (the REST API, no trailing slash),
// LEADWIRE_API_KEY (a key with every REST permission), LEADWIRE_LIMITED_KEY (a key without
// users.delete), LEADWIRE_SF_URL and LEADWIRE_SF_TOKEN (the emulator and a bearer token, for
// webhooks the scripts write themselves).
//
// Output, one line each: `call NAME …`, `  -> BODY`, `ok AREA.STEP`, `FAIL AREA.STEP: …`, and
// `expect-lead {"Field": "value", …}`: a Lead the node must create in Salesforce, which the
// Rust test looks for after the script ends.

'use strict';

const assert = require('node:assert/strict');
const path = require('node:path');

function need(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
}

const modules = need('LEADWIRE_BRAZE_CLIENT');
// A path, not the package name: the package's `exports` map hides the request layer.
const { Braze } = require(path.join(modules, 'braze-api'));
const requestLayer = require(path.join(modules, 'braze-api', 'cjs', 'common', 'request'));

/** The API-triggered campaign and canvas the test's config adds (see braze_client.rs). */
const CAMPAIGN = 'braze-client-campaign';
const CANVAS = 'braze-client-canvas';
/** The API campaign (`delivery = "api"`) it adds, and its one message variation. */
const API_CAMPAIGN = 'braze-client-api-campaign';
const API_CAMPAIGN_VARIANT = 'Lead from trigger properties';

const url = need('LEADWIRE_URL');
const apiKey = need('LEADWIRE_API_KEY');

/** Shortens a body for the log. */
function show(value) {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 600 ? `${text.slice(0, 600)}…` : text;
}

/** An error the client threw, described with everything it read. */
function describe(error) {
  if (error && typeof error.status === 'number') {
    return `status ${error.status}, message ${show(error.message)}, errors ${show(error.errors)}`;
  }
  return error && error.name ? `${error.name}: ${error.message}` : String(error);
}

/** The first line of `error`'s stack in these scripts: where a step failed. */
function where(error) {
  const lines = (error && error.stack ? error.stack : '').split('\n');
  const line = lines.find((text) => text.includes(__dirname) && !text.includes('lib.js'));
  return line ? line.trim() : '';
}

/**
 * Runs `perform` (a call through the client), printing the call and the body it returned.
 * A thrown `ResponseError` is rethrown with the call's name, status, message and errors.
 */
async function call(name, perform) {
  console.log(`call ${name}`);
  let body;
  try {
    body = await perform();
  } catch (error) {
    const wrapped = new Error(`${name} failed: ${describe(error)}`);
    wrapped.status = error && error.status;
    wrapped.original = error;
    throw wrapped;
  }
  console.log(`  -> ${show(body)}`);
  return body;
}

/**
 * Runs `perform`, which must fail with `status`; returns the client's `ResponseError`
 * (`message`, `status`, `errors`) for the caller to check.
 */
async function callFails(name, status, perform) {
  console.log(`call ${name} (must fail with ${status})`);
  let body;
  try {
    body = await perform();
  } catch (error) {
    console.log(`  -> ${describe(error)}`);
    assert.equal(error.status, status, `${name}: status (${describe(error)})`);
    assert.equal(typeof error.message, 'string', `${name}: the client read a message`);
    assert.ok(error.message.length > 0, `${name}: a non-empty message`);
    return error;
  }
  assert.fail(`${name} should have failed with ${status} but answered ${show(body)}`);
}

/**
 * A GET to an endpoint the client has no method for, made with the client's own request
 * layer (its headers, query-string encoding and error handling).
 */
function getWithoutMethod(endpoint, parameters) {
  return requestLayer.get(
    `${url}${endpoint}?${requestLayer.buildParams(parameters)}`,
    requestLayer.buildOptions({ apiKey }),
  );
}

/** Asks `probe` until it returns a value; the deadline only stops a broken run. */
async function eventually(what, probe) {
  const deadline = Date.now() + 120_000;
  let last;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) {
        return value;
      }
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`gave up waiting for ${what}${last ? `: ${describe(last)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Tells the Rust test that Salesforce must end up with a Lead with these field values. */
function expectLead(fields) {
  console.log(`expect-lead ${JSON.stringify(fields)}`);
}

/** ISO 8601 time `seconds` from now, without milliseconds. */
function inSeconds(seconds) {
  return new Date(Date.now() + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Runs the steps named on the command line (all of them when none is named), in the order
 * of `steps`, and exits non-zero if one failed. Each step gets a context with the client.
 */
async function run(area, steps) {
  const names = Object.keys(steps);
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !names.includes(name));
  if (unknown.length > 0) {
    console.log(`FAIL ${area}: unknown steps ${unknown.join(', ')}; known: ${names.join(', ')}`);
    process.exit(2);
  }
  const context = {
    braze: new Braze(url, apiKey),
    limited: new Braze(url, need('LEADWIRE_LIMITED_KEY')),
    unknownKey: new Braze(url, 'not-a-key-of-this-node-0123456789'),
    url,
    salesforce: () => ({ url: need('LEADWIRE_SF_URL'), token: need('LEADWIRE_SF_TOKEN') }),
  };
  let failed = 0;
  for (const name of names.filter((n) => wanted.length === 0 || wanted.includes(n))) {
    console.log(`step ${area}.${name}`);
    try {
      await steps[name](context);
      console.log(`ok ${area}.${name}`);
    } catch (error) {
      failed += 1;
      console.log(`FAIL ${area}.${name}: ${error && error.message ? error.message : error}`);
      console.log(`  ${where(error)}`);
    }
  }
  process.exit(failed === 0 ? 0 : 1);
}

/** A trigger-send recipient the call creates, with a last name to find its Lead by. */
function newRecipient(externalId, lastName, properties) {
  return {
    external_user_id: externalId,
    send_to_existing_only: false,
    attributes: { last_name: lastName },
    ...properties,
  };
}

/** The webhooks sent in a `data_series` answer's days (`messages.webhook[].sent`). */
function webhookSent(days) {
  return days
    .flatMap((day) => (day.messages && day.messages.webhook) || [])
    .reduce((sum, variation) => sum + (variation.sent || 0), 0);
}

/** The one user `users.export.ids` returns for `body`, checked to be exactly one. */
async function exportOne(braze, name, body) {
  const exported = await call(name, () => braze.users.export.ids(body));
  assert.equal(exported.message, 'success', `${name}: message`);
  assert.equal(exported.users.length, 1, `${name}: one user (${show(exported)})`);
  return exported.users[0];
}

/** The ids `users.export.ids` reports unknown for `external_ids`. */
async function unknownIds(braze, name, externalIds) {
  const exported = await call(name, () =>
    braze.users.export.ids({ external_ids: externalIds, fields_to_export: ['external_id'] }),
  );
  return exported.invalid_user_ids || [];
}

module.exports = {
  API_CAMPAIGN,
  API_CAMPAIGN_VARIANT,
  CAMPAIGN,
  CANVAS,
  assert,
  call,
  callFails,
  eventually,
  expectLead,
  exportOne,
  getWithoutMethod,
  inSeconds,
  newRecipient,
  run,
  unknownIds,
  webhookSent,
};
