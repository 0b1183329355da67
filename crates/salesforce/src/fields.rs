//! The Lead field catalogue: the standard fields of the Field Reference plus configured custom fields, looked up case-insensitively.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// The Salesforce field types that Lead uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    Id,
    String,
    Textarea,
    Email,
    Phone,
    Url,
    Picklist,
    Boolean,
    Currency,
    Int,
    Double,
    Date,
    Datetime,
    Reference,
    Address,
}

impl FieldType {
    /// The describe `type` value.
    pub fn describe_name(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::String => "string",
            Self::Textarea => "textarea",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Url => "url",
            Self::Picklist => "picklist",
            Self::Boolean => "boolean",
            Self::Currency => "currency",
            Self::Int => "int",
            Self::Double => "double",
            Self::Date => "date",
            Self::Datetime => "datetime",
            Self::Reference => "reference",
            Self::Address => "address",
        }
    }

    /// The describe `soapType` value.
    pub fn soap_type(self) -> &'static str {
        match self {
            Self::Id | Self::Reference => "tns:ID",
            Self::Boolean => "xsd:boolean",
            Self::Currency | Self::Double => "xsd:double",
            Self::Int => "xsd:int",
            Self::Date => "xsd:date",
            Self::Datetime => "xsd:dateTime",
            Self::Address => "urn:address",
            _ => "xsd:string",
        }
    }

    /// The lower-case type word Salesforce's JSON parser names in type errors.
    pub fn parser_name(self) -> &'static str {
        match self {
            Self::Boolean => "boolean",
            Self::Currency | Self::Double => "double",
            Self::Int => "int",
            Self::Date => "date",
            Self::Datetime => "datetime",
            _ => "string",
        }
    }

    /// Whether values of this type are text (and so have a maximum length).
    pub fn is_text(self) -> bool {
        matches!(
            self,
            Self::String
                | Self::Textarea
                | Self::Email
                | Self::Phone
                | Self::Url
                | Self::Picklist
                | Self::Id
                | Self::Reference
        )
    }
}

/// One field of the Lead object.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    pub name: String,
    pub label: String,
    pub field_type: FieldType,
    pub length: u32,
    pub createable: bool,
    pub updateable: bool,
    pub nillable: bool,
    pub defaulted_on_create: bool,
    pub custom: bool,
    pub external_id: bool,
    pub unique: bool,
    pub id_lookup: bool,
    pub name_field: bool,
    pub restricted_picklist: bool,
    pub picklist_values: Vec<String>,
    pub default_picklist_value: Option<String>,
    pub reference_to: Vec<String>,
}

impl FieldDef {
    fn standard(
        name: &str,
        label: &str,
        field_type: FieldType,
        length: u32,
        writable: bool,
    ) -> Self {
        Self {
            name: name.to_owned(),
            label: label.to_owned(),
            field_type,
            length,
            createable: writable,
            updateable: writable,
            nillable: true,
            defaulted_on_create: false,
            custom: false,
            external_id: false,
            unique: false,
            id_lookup: false,
            name_field: false,
            restricted_picklist: false,
            picklist_values: Vec::new(),
            default_picklist_value: None,
            reference_to: Vec::new(),
        }
    }

    /// Whether a create must supply this field (not nillable, createable, not defaulted).
    pub fn required(&self) -> bool {
        !self.nillable && self.createable && !self.defaulted_on_create
    }
}

/// How a custom field is configured (in the emulator's TOML file or flags).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomFieldConfig {
    /// The API name; must end in `__c`.
    pub name: String,
    /// The label; derived from the name when absent.
    #[serde(default)]
    pub label: Option<String>,
    /// `string` (default), `email`, `picklist`, `boolean`, `double`, `int`, `date`, `datetime`, …
    #[serde(default = "default_custom_type", rename = "type")]
    pub field_type: FieldType,
    /// Maximum length of text values (default 255).
    #[serde(default)]
    pub length: Option<u32>,
    /// Usable in upsert paths.
    #[serde(default)]
    pub external_id: bool,
    /// Values of a picklist field.
    #[serde(default)]
    pub values: Vec<String>,
    /// Whether a picklist rejects values outside `values`.
    #[serde(default)]
    pub restricted: bool,
    /// Whether creates must supply it.
    #[serde(default)]
    pub required: bool,
}

fn default_custom_type() -> FieldType {
    FieldType::String
}

impl CustomFieldConfig {
    /// A text field with the given name.
    pub fn text(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            label: None,
            field_type: FieldType::String,
            length: None,
            external_id: false,
            values: Vec::new(),
            restricted: false,
            required: false,
        }
    }
}

/// Why a custom field definition was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FieldConfigError {
    #[error("custom field `{0}` must end in `__c` and use only letters, digits and underscores")]
    BadName(String),
    #[error("custom field `{0}` is defined twice (or clashes with a standard field)")]
    Duplicate(String),
    #[error("custom field `{0}` has type `{1}`, which custom fields cannot use")]
    BadType(String, &'static str),
}

/// The Lead fields in describe order, with a case-insensitive index.
#[derive(Debug, Clone)]
pub struct LeadCatalog {
    fields: Vec<FieldDef>,
    by_lower_name: HashMap<String, usize>,
}

impl LeadCatalog {
    /// The standard fields plus `custom`.
    pub fn new(custom: &[CustomFieldConfig]) -> Result<Self, FieldConfigError> {
        let mut fields = standard_fields();
        for config in custom {
            fields.push(custom_field(config)?);
        }
        let mut by_lower_name = HashMap::with_capacity(fields.len());
        for (index, field) in fields.iter().enumerate() {
            if by_lower_name
                .insert(field.name.to_ascii_lowercase(), index)
                .is_some()
            {
                return Err(FieldConfigError::Duplicate(field.name.clone()));
            }
        }
        // Canonical spellings too, so the common exact-case lookup needs no lower-casing.
        for (index, field) in fields.iter().enumerate() {
            by_lower_name.entry(field.name.clone()).or_insert(index);
        }
        Ok(Self {
            fields,
            by_lower_name,
        })
    }

    /// All fields, in describe order.
    pub fn fields(&self) -> &[FieldDef] {
        &self.fields
    }

    /// The index of a field, by name in any case.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        if let Some(index) = self.by_lower_name.get(name) {
            return Some(*index);
        }
        self.by_lower_name.get(&name.to_ascii_lowercase()).copied()
    }

    /// A field by name in any case.
    pub fn get(&self, name: &str) -> Option<&FieldDef> {
        self.index_of(name).and_then(|index| self.fields.get(index))
    }

    /// The field at `index`.
    pub fn at(&self, index: usize) -> &FieldDef {
        &self.fields[index]
    }
}

fn custom_field(config: &CustomFieldConfig) -> Result<FieldDef, FieldConfigError> {
    let name = &config.name;
    let stem = name.strip_suffix("__c").unwrap_or_default();
    let valid = !stem.is_empty()
        && stem.starts_with(|c: char| c.is_ascii_alphabetic())
        && stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(FieldConfigError::BadName(name.clone()));
    }
    if matches!(
        config.field_type,
        FieldType::Id | FieldType::Address | FieldType::Reference
    ) {
        return Err(FieldConfigError::BadType(
            name.clone(),
            config.field_type.describe_name(),
        ));
    }
    let label = config
        .label
        .clone()
        .unwrap_or_else(|| stem.replace('_', " "));
    let default_length = if config.field_type.is_text() { 255 } else { 0 };
    let mut field = FieldDef::standard(
        name,
        &label,
        config.field_type,
        config.length.unwrap_or(default_length),
        true,
    );
    field.custom = true;
    field.external_id = config.external_id;
    field.unique = config.external_id;
    field.id_lookup = config.external_id;
    field.nillable = !config.required;
    field.picklist_values = config.values.clone();
    field.restricted_picklist = config.restricted;
    Ok(field)
}

fn picklist(mut field: FieldDef, values: &[&str], default: Option<&str>) -> FieldDef {
    field.picklist_values = values.iter().map(|v| (*v).to_owned()).collect();
    field.default_picklist_value = default.map(str::to_owned);
    field
}

fn read_only(name: &str, label: &str, field_type: FieldType, length: u32) -> FieldDef {
    let mut field = FieldDef::standard(name, label, field_type, length, false);
    field.defaulted_on_create = true;
    field
}

fn reference(name: &str, label: &str, writable: bool, targets: &[&str]) -> FieldDef {
    let mut field = FieldDef::standard(name, label, FieldType::Reference, 18, writable);
    field.reference_to = targets.iter().map(|t| (*t).to_owned()).collect();
    field
}

fn standard_fields() -> Vec<FieldDef> {
    use FieldType as T;
    let text = |name: &str, label: &str, length: u32| {
        FieldDef::standard(name, label, T::String, length, true)
    };
    let mut id = read_only("Id", "Lead ID", T::Id, 18);
    id.nillable = false;
    id.id_lookup = true;
    let mut is_deleted = read_only("IsDeleted", "Deleted", T::Boolean, 0);
    is_deleted.nillable = false;
    let mut last_name = text("LastName", "Last Name", 80);
    last_name.nillable = false;
    let mut company = text("Company", "Company", 255);
    company.nillable = false;
    let mut name = read_only("Name", "Full Name", T::String, 121);
    name.name_field = true;
    let mut email = FieldDef::standard("Email", "Email", T::Email, 80, true);
    email.id_lookup = true;
    let mut status = picklist(
        FieldDef::standard("Status", "Status", T::Picklist, 40, true),
        &[
            "Open - Not Contacted",
            "Working - Contacted",
            "Closed - Converted",
            "Closed - Not Converted",
        ],
        Some("Open - Not Contacted"),
    );
    status.nillable = false;
    status.defaulted_on_create = true;
    let mut owner = reference("OwnerId", "Owner ID", true, &["Group", "User"]);
    owner.nillable = false;
    owner.defaulted_on_create = true;
    let flag = |name: &str, label: &str| {
        let mut field = FieldDef::standard(name, label, T::Boolean, 0, true);
        field.nillable = false;
        field.defaulted_on_create = true;
        field
    };
    let mut is_converted = flag("IsConverted", "Converted");
    is_converted.updateable = false;
    let mut clean_status = picklist(
        FieldDef::standard("CleanStatus", "Clean Status", T::Picklist, 40, true),
        &[
            "Matched",
            "Different",
            "Acknowledged",
            "NotFound",
            "Inactive",
            "Pending",
            "SelectMatch",
            "Skipped",
        ],
        None,
    );
    clean_status.restricted_picklist = true;
    vec![
        id,
        is_deleted,
        reference("MasterRecordId", "Master Record ID", false, &["Lead"]),
        last_name,
        text("FirstName", "First Name", 40),
        picklist(
            FieldDef::standard("Salutation", "Salutation", T::Picklist, 40, true),
            &["Mr.", "Ms.", "Mrs.", "Dr.", "Prof."],
            None,
        ),
        name,
        text("Title", "Title", 128),
        company,
        FieldDef::standard("Street", "Street", T::Textarea, 255, true),
        text("City", "City", 40),
        text("State", "State/Province", 80),
        text("PostalCode", "Zip/Postal Code", 20),
        text("Country", "Country", 80),
        FieldDef::standard("Latitude", "Latitude", T::Double, 0, true),
        FieldDef::standard("Longitude", "Longitude", T::Double, 0, true),
        picklist(
            FieldDef::standard("GeocodeAccuracy", "Geocode Accuracy", T::Picklist, 40, true),
            &[
                "Address",
                "NearAddress",
                "Block",
                "Street",
                "ExtendedZip",
                "Zip",
                "Neighborhood",
                "City",
                "County",
                "State",
                "Unknown",
            ],
            None,
        ),
        FieldDef::standard("Address", "Address", T::Address, 0, false),
        FieldDef::standard("Phone", "Phone", T::Phone, 40, true),
        FieldDef::standard("MobilePhone", "Mobile Phone", T::Phone, 40, true),
        FieldDef::standard("Fax", "Fax", T::Phone, 40, true),
        email,
        FieldDef::standard("Website", "Website", T::Url, 255, true),
        FieldDef::standard("PhotoUrl", "Photo URL", T::Url, 255, false),
        FieldDef::standard("Description", "Description", T::Textarea, 32000, true),
        picklist(
            FieldDef::standard("LeadSource", "Lead Source", T::Picklist, 40, true),
            &[
                "Web",
                "Phone Inquiry",
                "Partner Referral",
                "Purchased List",
                "Other",
            ],
            None,
        ),
        status,
        picklist(
            FieldDef::standard("Industry", "Industry", T::Picklist, 40, true),
            &[
                "Agriculture",
                "Apparel",
                "Banking",
                "Biotechnology",
                "Chemicals",
                "Communications",
                "Construction",
                "Consulting",
                "Education",
                "Electronics",
                "Energy",
                "Engineering",
                "Entertainment",
                "Environmental",
                "Finance",
                "Food & Beverage",
                "Government",
                "Healthcare",
                "Hospitality",
                "Insurance",
                "Machinery",
                "Manufacturing",
                "Media",
                "Not For Profit",
                "Other",
                "Recreation",
                "Retail",
                "Shipping",
                "Technology",
                "Telecommunications",
                "Transportation",
                "Utilities",
            ],
            None,
        ),
        picklist(
            FieldDef::standard("Rating", "Rating", T::Picklist, 40, true),
            &["Hot", "Warm", "Cold"],
            None,
        ),
        FieldDef::standard("AnnualRevenue", "Annual Revenue", T::Currency, 0, true),
        FieldDef::standard("NumberOfEmployees", "Employees", T::Int, 0, true),
        owner,
        flag("HasOptedOutOfEmail", "Email Opt Out"),
        flag("HasOptedOutOfFax", "Fax Opt Out"),
        flag("DoNotCall", "Do Not Call"),
        is_converted,
        read_only("ConvertedDate", "Converted Date", T::Date, 0),
        reference(
            "ConvertedAccountId",
            "Converted Account ID",
            false,
            &["Account"],
        ),
        reference(
            "ConvertedContactId",
            "Converted Contact ID",
            false,
            &["Contact"],
        ),
        reference(
            "ConvertedOpportunityId",
            "Converted Opportunity ID",
            false,
            &["Opportunity"],
        ),
        flag("IsUnreadByOwner", "Unread By Owner"),
        read_only("CreatedDate", "Created Date", T::Datetime, 0),
        reference("CreatedById", "Created By ID", false, &["User"]),
        read_only("LastModifiedDate", "Last Modified Date", T::Datetime, 0),
        reference("LastModifiedById", "Last Modified By ID", false, &["User"]),
        read_only("SystemModstamp", "System Modstamp", T::Datetime, 0),
        read_only("LastActivityDate", "Last Activity", T::Date, 0),
        read_only("LastViewedDate", "Last Viewed Date", T::Datetime, 0),
        read_only("LastReferencedDate", "Last Referenced Date", T::Datetime, 0),
        text("Jigsaw", "Data.com Key", 20),
        read_only("JigsawContactId", "Jigsaw Contact ID", T::String, 20),
        clean_status,
        text("CompanyDunsNumber", "Company D-U-N-S Number", 9),
        text("EmailBouncedReason", "Email Bounced Reason", 255),
        FieldDef::standard(
            "EmailBouncedDate",
            "Email Bounced Date",
            T::Datetime,
            0,
            true,
        ),
        reference("IndividualId", "Individual ID", true, &["Individual"]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_ignore_case_and_custom_fields_join_the_catalogue() {
        let mut stage = CustomFieldConfig::text("Lead_Stage__c");
        stage.field_type = FieldType::Picklist;
        stage.values = vec!["MQL".into(), "SQL".into()];
        let catalog = LeadCatalog::new(&[stage]).map_err(|e| e.to_string());
        let catalog = catalog.as_ref();
        assert_eq!(
            catalog
                .ok()
                .and_then(|c| c.get("lastname"))
                .map(|f| f.name.as_str()),
            Some("LastName")
        );
        assert_eq!(
            catalog
                .ok()
                .and_then(|c| c.get("LEAD_STAGE__C"))
                .map(|f| f.label.as_str()),
            Some("Lead Stage")
        );
        assert!(catalog.ok().and_then(|c| c.get("e-mail")).is_none());
    }

    #[test]
    fn required_fields_are_last_name_and_company() {
        let catalog = LeadCatalog::new(&[]).map_err(|e| e.to_string());
        let required: Vec<_> = catalog
            .iter()
            .flat_map(|c| c.fields().iter())
            .filter(|f| f.required())
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(required, ["LastName", "Company"]);
    }

    #[test]
    fn bad_custom_fields_are_refused() {
        assert_eq!(
            LeadCatalog::new(&[CustomFieldConfig::text("Stage")]).err(),
            Some(FieldConfigError::BadName("Stage".into()))
        );
        let twice = [
            CustomFieldConfig::text("A__c"),
            CustomFieldConfig::text("a__c"),
        ];
        assert_eq!(
            LeadCatalog::new(&twice).err(),
            Some(FieldConfigError::Duplicate("a__c".into()))
        );
    }
}
