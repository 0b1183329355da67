"""Drives the leadwire Salesforce emulator with simple-salesforce over HTTPS.

Run by crates/emulator/tests/interop.rs with:
  EMULATOR_URL   https://127.0.0.1:PORT (the instance URL)
  EMULATOR_CERT  path of the emulator's self-signed certificate (PEM)
  CLIENT_ID / CLIENT_SECRET  the connected app's credentials

simple-salesforce builds the token URL as https://{domain}.salesforce.com, so the
session gets a transport adapter that sends that host to the emulator: the login
really goes through the emulator's client-credentials token endpoint (HTTP Basic).
"""

import os
import sys

import requests
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceResourceNotFound,
)

BASE = os.environ["EMULATOR_URL"].rstrip("/")
CERT = os.environ["EMULATOR_CERT"]
# requests prefers REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE over Session.verify, so point them at
# the emulator's certificate too.
os.environ["REQUESTS_CA_BUNDLE"] = CERT
os.environ["CURL_CA_BUNDLE"] = CERT
DOMAIN = "leadwire-emulator.my"
LOGIN_HOST = f"https://{DOMAIN}.salesforce.com"

checks = 0


def check(condition, what):
    global checks
    if not condition:
        raise AssertionError(what)
    checks += 1


class EmulatorAdapter(HTTPAdapter):
    """Sends requests for the My Domain login host to the emulator."""

    def send(self, request, **kwargs):
        request.url = BASE + request.url[len(LOGIN_HOST):]
        return super().send(request, **kwargs)


def stats():
    return requests.get(f"{BASE}/__emulator/stats", verify=CERT).json()


session = requests.Session()
session.verify = CERT
session.mount(LOGIN_HOST + "/", EmulatorAdapter())

sf = Salesforce(
    consumer_key=os.environ["CLIENT_ID"],
    consumer_secret=os.environ["CLIENT_SECRET"],
    domain=DOMAIN,
    session=session,
    version="60.0",
)
check(sf.session_id.startswith("00D"), "login returned an access token")
check(BASE.endswith(sf.sf_instance), f"instance from instance_url: {sf.sf_instance}")
check(stats()["byEndpoint"].get("POST /services/oauth2/token") == 1, "login used the token endpoint")

# Create, get, update.
created = sf.Lead.create({"LastName": "Interop", "Company": "Py Inc", "Email": "py@interop.test"})
check(created["success"] is True and created["errors"] == [], f"create result {created}")
lead_id = created["id"]
check(lead_id.startswith("00Q") and len(lead_id) == 18, f"lead id {lead_id}")
lead = sf.Lead.get(lead_id)
check(lead["LastName"] == "Interop" and lead["Status"] == "Open - Not Contacted", "get returns the lead")
check(lead["attributes"]["type"] == "Lead", "records carry attributes")
check(sf.Lead.update(lead_id, {"Rating": "Hot"}) == 204, "update answers 204")
check(sf.Lead.get(lead_id)["Rating"] == "Hot", "update stuck")
leads = sf.Lead  # each `sf.Lead` is a new SFType; keep one to read its api_usage
leads.get(lead_id)
check(leads.api_usage["api-usage"].total == 15000, "Sforce-Limit-Info is parsed")

# Upsert by external id: created, then updated, then ambiguous.
check(sf.Lead.upsert("Ext_Id__c/py-1", {"LastName": "Up", "Company": "Sert"}) == 201, "upsert creates")
check(sf.Lead.upsert("Ext_Id__c/py-1", {"Rating": "Warm"}) == 200, "upsert updates")
by_ext = sf.Lead.get_by_custom_id("Ext_Id__c", "py-1")
check(by_ext["Rating"] == "Warm", "get_by_custom_id finds the upserted lead")
sf.Lead.create({"LastName": "Twin", "Company": "Sert", "Ext_Id__c": "py-1"})
try:
    sf.Lead.upsert("Ext_Id__c/py-1", {"Rating": "Cold"})
    check(False, "an ambiguous upsert raises")
except SalesforceMoreThanOneRecord as error:
    check(error.status == 300 and len(error.content) == 2, "300 lists both records")

# Query and query_all with paging (the emulator runs with a batch size of 5).
for n in range(12):
    sf.Lead.create({"LastName": f"Page{n:02d}", "Company": "Paging"})
first = sf.query("SELECT Id, LastName FROM Lead WHERE Company = 'Paging' ORDER BY LastName")
check(first["totalSize"] == 12 and first["done"] is False, "first page is partial")
check("nextRecordsUrl" in first and len(first["records"]) == 5, "a page holds the batch size")
second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
check(second["records"][0]["LastName"] == "Page05", "query_more continues")
everything = sf.query_all("SELECT LastName FROM Lead WHERE Company = 'Paging' ORDER BY LastName")
names = [record["LastName"] for record in everything["records"]]
check(names == [f"Page{n:02d}" for n in range(12)], f"query_all follows every page: {names}")
count = sf.query("SELECT COUNT() FROM Lead WHERE Company = 'Paging'")
check(count["totalSize"] == 12, "COUNT()")

# Delete, then query_all with deleted rows.
check(sf.Lead.delete(lead_id) == 204, "delete answers 204")
deleted = sf.query_all(f"SELECT Id, IsDeleted FROM Lead WHERE Id = '{lead_id}'", include_deleted=True)
check(deleted["records"][0]["IsDeleted"] is True, "queryAll sees the deleted lead")
live = sf.query(f"SELECT Id FROM Lead WHERE Id = '{lead_id}'")
check(live["totalSize"] == 0, "query hides it")

# Describe, metadata, describeGlobal, limits.
describe = sf.Lead.describe()
fields = {field["name"]: field for field in describe["fields"]}
check(fields["LastName"]["nillable"] is False and fields["Ext_Id__c"]["externalId"] is True, "describe")
check(sf.Lead.metadata()["objectDescribe"]["keyPrefix"] == "00Q", "metadata")
check(any(o["name"] == "Lead" for o in sf.describe()["sobjects"]), "describeGlobal")
limits = sf.limits()
check(limits["DailyApiRequests"]["Max"] == 15000, "limits")
check(limits["DailyApiRequests"]["Remaining"] < 15000, "usage is counted")

# Error mapping.
try:
    sf.Lead.create({"LastName": "X", "Company": "Y", "e-mail": "x"})
    check(False, "an unknown field raises")
except SalesforceMalformedRequest as error:
    check(error.status == 400, "400")
    check(error.content[0]["errorCode"] == "INVALID_FIELD", f"errorCode {error.content}")
    check(error.content[0]["message"] == "No such column 'e-mail' on sobject of type Lead", "message")
try:
    sf.Lead.get(lead_id)
    check(False, "a deleted lead raises")
except SalesforceResourceNotFound as error:
    check(error.content[0]["errorCode"] == "ENTITY_IS_DELETED", "deleted lead is 404")
try:
    sf.Lead.get("00QKa0000000zzzAAA")
    check(False, "an unknown lead raises")
except SalesforceResourceNotFound as error:
    check(error.content[0]["errorCode"] == "NOT_FOUND", "unknown lead is 404")

# sObject Collections through simple-salesforce's generic REST call (it has no helper for
# them): per-record results with `statusCode`, upsert `created` flags, one API call each.
calls_before = stats()["byApi"]["collections"]["apiCalls"]
created = sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": [
    {"attributes": {"type": "Lead"}, "LastName": "Batch1", "Company": "Batch"},
    {"attributes": {"type": "Lead"}, "LastName": "Batch2"},
]})
check(created[0]["success"] is True and created[0]["id"].startswith("00Q"), f"collection create {created}")
check(created[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING", "a per-record statusCode")
upserted = sf.restful("composite/sobjects/Lead/Ext_Id__c", method="PATCH", json={"records": [
    {"attributes": {"type": "Lead"}, "Ext_Id__c": "batch-1", "LastName": "B1", "Company": "Batch"},
    {"attributes": {"type": "Lead"}, "Ext_Id__c": "batch-1", "LastName": "B1", "Company": "Batch"},
]})
check([r["errors"][0]["statusCode"] for r in upserted] == ["DUPLICATE_VALUE"] * 2, f"repeated key {upserted}")
check(stats()["byApi"]["collections"]["apiCalls"] == calls_before + 2, "one API call per collection request")
check(sf.api_usage["api-usage"].used == stats()["apiUsage"], "Sforce-Limit-Info matches the counters")

# Bulk API 2.0 ingest through sf.bulk2, unchanged: insert, then upsert by external id.
import csv as _csv  # noqa: E402

leads_in = [{"LastName": f"Bulk{n:02d}", "Company": "Bulk Co", "Ext_Id__c": f"bk-{n}"} for n in range(40)]
leads_in.append({"LastName": "NoCompany", "Ext_Id__c": "bk-bad"})
[inserted] = sf.bulk2.Lead.insert(records=leads_in, wait=0.2)
check(inserted["numberRecordsProcessed"] == 41 and inserted["numberRecordsFailed"] == 1, f"bulk insert {inserted}")
check(inserted["job_id"].startswith("750"), "ingest job id")
created = list(_csv.DictReader(sf.bulk2.Lead.get_successful_records(inserted["job_id"]).splitlines()))
check(len(created) == 40 and all(row["sf__Created"] == "true" for row in created), "successful results")
check(all(row["sf__Id"].startswith("00Q") for row in created), "results carry lead ids")
failed = list(_csv.DictReader(sf.bulk2.Lead.get_failed_records(inserted["job_id"]).splitlines()))
check(len(failed) == 1 and failed[0]["LastName"] == "NoCompany", f"failed results {failed}")
check(failed[0]["sf__Error"] == "REQUIRED_FIELD_MISSING:Required fields are missing: [Company]:Company --", failed[0]["sf__Error"])
everything = sf.bulk2.Lead.get_all_ingest_records(inserted["job_id"])
check(everything["unprocessedRecords"] == [] and len(everything["successfulRecords"]) == 40, "get_all_ingest_records")
[upserted] = sf.bulk2.Lead.upsert(
    records=[{"Ext_Id__c": "bk-1", "LastName": "Changed"}, {"Ext_Id__c": "bk-new", "LastName": "New", "Company": "C"}],
    external_id_field="Ext_Id__c",
    wait=0.2,
)
check(upserted["numberRecordsProcessed"] == 2 and upserted["numberRecordsFailed"] == 0, f"bulk upsert {upserted}")
outcome = {row["Ext_Id__c"]: row["sf__Created"] for row in _csv.DictReader(sf.bulk2.Lead.get_successful_records(upserted["job_id"]).splitlines())}
check(outcome == {"bk-1": "false", "bk-new": "true"}, f"upsert created/updated {outcome}")
check(sf.Lead.get_by_custom_id("Ext_Id__c", "bk-1")["LastName"] == "Changed", "the upsert updated bk-1")
check(stats()["bulk"]["jobsCreated"] == 2, "the emulator counted both jobs")
bulk_family = stats()["byApi"]["bulkIngest"]
check(bulk_family["created"] == 41 and bulk_family["updated"] == 1, f"bulk writes by family {bulk_family}")
check(bulk_family["recordErrors"] == 1, "the failed row counted")

# Session refresh: force every token to expire; the next call gets 401 INVALID_SESSION_ID,
# simple-salesforce logs in again through the token endpoint and retries.
old_token = sf.session_id
expired = requests.post(f"{BASE}/__emulator/tokens/expire", verify=CERT).json()
check(expired["expired"] >= 1, "tokens expired")
again = sf.Lead.get(by_ext["Id"])
check(again["Id"] == by_ext["Id"], "the call succeeds after a refresh")
check(sf.session_id != old_token, "a new token was issued")
check(stats()["byEndpoint"].get("POST /services/oauth2/token") == 2, "the refresh used the token endpoint")

print(f"OK {checks} checks")
sys.exit(0)
