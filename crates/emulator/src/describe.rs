//! Lead metadata: the describeGlobal entry, `sobjects/Lead/describe` with every field's describe keys.

use serde_json::{Map, Value, json};

use leadwire_salesforce::fields::{FieldDef, FieldType, LeadCatalog};

/// The object summary shared by describeGlobal, basic info and describe.
pub fn object_summary(version: &str) -> Value {
    let base = format!("/services/data/v{version}/sobjects/Lead");
    json!({
        "activateable": false, "createable": true, "custom": false, "customSetting": false,
        "deepCloneable": false, "deletable": true, "deprecatedAndHidden": false, "feedEnabled": true,
        "hasSubtypes": false, "isInterface": false, "isSubtype": false, "keyPrefix": "00Q",
        "label": "Lead", "labelPlural": "Leads", "layoutable": true, "mergeable": true,
        "mruEnabled": true, "name": "Lead", "queryable": true, "replicateable": true,
        "retrieveable": true, "searchable": true, "triggerable": true, "undeletable": true,
        "updateable": true,
        "urls": {
            "sobject": base,
            "describe": format!("{base}/describe"),
            "rowTemplate": format!("{base}/{{ID}}")
        }
    })
}

/// `GET …/sobjects`.
pub fn describe_global(version: &str) -> Value {
    json!({"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": [object_summary(version)]})
}

/// `GET …/sobjects/Lead/describe`.
pub fn describe(catalog: &LeadCatalog, version: &str) -> Value {
    let Value::Object(mut object) = object_summary(version) else {
        return Value::Null;
    };
    let extra = json!({
        "actionOverrides": [], "childRelationships": [], "compactLayoutable": true,
        "fields": catalog.fields().iter().map(describe_field).collect::<Vec<_>>(),
        "listviewable": null, "lookupLayoutable": null, "namedLayoutInfos": [],
        "networkScopeFieldName": null,
        "recordTypeInfos": [{
            "active": true, "available": true, "defaultRecordTypeMapping": true, "developerName": "Master",
            "master": true, "name": "Master", "recordTypeId": "012000000000000AAA",
            "urls": {"layout": format!("/services/data/v{version}/sobjects/Lead/describe/layouts/012000000000000AAA")}
        }],
        "searchLayoutable": true, "supportedScopes": [{"label": "All leads", "name": "everything"}]
    });
    if let Value::Object(extra) = extra {
        object.extend(extra);
    }
    Value::Object(sorted(object))
}

fn sorted(object: Map<String, Value>) -> Map<String, Value> {
    let mut entries: Vec<(String, Value)> = object.into_iter().collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries.into_iter().collect()
}

fn describe_field(field: &FieldDef) -> Value {
    let text = field.field_type.is_text();
    let picklist_values: Vec<Value> = field
        .picklist_values
        .iter()
        .map(|value| {
            json!({
                "active": true,
                "defaultValue": field.default_picklist_value.as_deref() == Some(value.as_str()),
                "label": value, "validFor": null, "value": value
            })
        })
        .collect();
    let numeric = matches!(field.field_type, FieldType::Double | FieldType::Currency);
    let is_id = field.field_type == FieldType::Id;
    json!({
        "aggregatable": field.field_type != FieldType::Address && field.field_type != FieldType::Textarea,
        "autoNumber": false,
        "byteLength": if text { field.length * 3 } else { 0 },
        "calculated": false, "calculatedFormula": null, "cascadeDelete": false,
        "caseSensitive": false,
        "compoundFieldName": compound_of(&field.name),
        "controllerName": null,
        "createable": field.createable, "custom": field.custom,
        "defaultValue": if field.field_type == FieldType::Boolean && field.defaulted_on_create { json!(field.name == "IsUnreadByOwner") } else { Value::Null },
        "defaultValueFormula": null, "defaultedOnCreate": field.defaulted_on_create,
        "dependentPicklist": false, "deprecatedAndHidden": false,
        "digits": if field.field_type == FieldType::Int { 8 } else { 0 },
        "displayLocationInDecimal": false, "encrypted": false,
        "externalId": field.external_id, "extraTypeInfo": null,
        "filterable": field.field_type != FieldType::Address && field.field_type != FieldType::Textarea,
        "filteredLookupInfo": null,
        "groupable": !numeric && field.field_type != FieldType::Address && field.field_type != FieldType::Textarea,
        "highScaleNumber": false, "htmlFormatted": false, "idLookup": field.id_lookup,
        "inlineHelpText": null, "label": field.label, "length": if text { field.length } else { 0 },
        "mask": null, "maskType": null, "name": field.name, "nameField": field.name_field,
        "namePointing": field.name == "OwnerId", "nillable": field.nillable, "permissionable": field.nillable && field.createable,
        "picklistValues": picklist_values, "polymorphicForeignKey": field.reference_to.len() > 1,
        "precision": if numeric { 18 } else { 0 }, "queryByDistance": false,
        "referenceTargetField": null, "referenceTo": field.reference_to,
        "relationshipName": field.name.strip_suffix("Id").filter(|_| field.field_type == FieldType::Reference),
        "relationshipOrder": null, "restrictedDelete": false,
        "restrictedPicklist": field.restricted_picklist,
        "scale": 0, "searchPrefilterable": false,
        "soapType": field.field_type.soap_type(),
        "sortable": field.field_type != FieldType::Address && field.field_type != FieldType::Textarea,
        "type": field.field_type.describe_name(),
        "unique": field.unique || is_id,
        "updateable": field.updateable, "writeRequiresMasterRead": false
    })
}

fn compound_of(name: &str) -> Option<&'static str> {
    match name {
        "Street" | "City" | "State" | "PostalCode" | "Country" | "Latitude" | "Longitude"
        | "GeocodeAccuracy" => Some("Address"),
        "FirstName" | "LastName" | "Salutation" => Some("Name"),
        _ => None,
    }
}
