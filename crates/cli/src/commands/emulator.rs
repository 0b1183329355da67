//! `leadwire salesforce-emulator`: serve the Sales Cloud emulator (HTTPS by default), configured by flags or a TOML file.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use leadwire_salesforce::fields::{CustomFieldConfig, FieldType};
use leadwire_salesforce_emulator::{
    DuplicateAction, DuplicateRule, EmulatorConfig, EmulatorState, ServeOptions, attach_sqlite,
    spawn,
};

#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// Serve plain HTTP instead of HTTPS.
    #[arg(long)]
    http: bool,
    /// Write the self-signed certificate (PEM) here so clients can trust it.
    #[arg(long, value_name = "PATH")]
    cert_out: Option<PathBuf>,
    /// A TOML file with any of the settings below (flags win over the file).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Keep leads in this SQLite file across restarts (in memory when absent).
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// The connected app's consumer key (generated when absent).
    #[arg(long)]
    client_id: Option<String>,
    /// The connected app's consumer secret (generated when absent).
    #[arg(long)]
    client_secret: Option<String>,
    /// Access-token lifetime in seconds (default 7200).
    #[arg(long, value_name = "SECONDS")]
    token_ttl: Option<u64>,
    /// A custom Lead field: NAME[:TYPE][:external], e.g. `Lead_Stage__c` or `Ext_Id__c:string:external`.
    #[arg(long = "custom-field", value_name = "SPEC")]
    custom_fields: Vec<String>,
    /// A duplicate rule: FIELD[:alert|block], e.g. `Email`.
    #[arg(long = "duplicate-rule", value_name = "SPEC")]
    duplicate_rules: Vec<String>,
    /// The daily API request allocation (default 15000).
    #[arg(long)]
    daily_api_limit: Option<u64>,
    /// The daily Bulk API batch allocation (default 15000; one batch per 10,000 rows).
    #[arg(long)]
    daily_bulk_batch_limit: Option<u64>,
    /// Require `Authorization: Bearer TOKEN` on /__emulator/ admin endpoints.
    #[arg(long)]
    admin_token: Option<String>,
    /// Fault: milliseconds added to every answer.
    #[arg(long)]
    latency_ms: Option<u64>,
    /// Fault: share (0.0-1.0) of requests answered with --error-status.
    #[arg(long)]
    error_rate: Option<f64>,
    /// Fault: status of injected errors, 500 or 503.
    #[arg(long)]
    error_status: Option<u16>,
    /// Fault: share (0.0-1.0) of connections dropped unanswered.
    #[arg(long)]
    drop_rate: Option<f64>,
    /// Fault: share (0.0-1.0) of requests served in full, then dropped unanswered.
    #[arg(long)]
    lost_answer_rate: Option<f64>,
    /// Fault: seed for the random shares.
    #[arg(long)]
    fault_seed: Option<u64>,
    /// Fault: share (0.0-1.0) of sObject Collections records answered UNABLE_TO_LOCK_ROW, not written.
    #[arg(long)]
    record_error_rate: Option<f64>,
    /// Fault: answer every REST call with 403 REQUEST_LIMIT_EXCEEDED.
    #[arg(long)]
    limit_exceeded: bool,
    /// Fault: share (0.0-1.0) of Bulk API rows failing with UNABLE_TO_LOCK_ROW.
    #[arg(long)]
    bulk_row_failure_rate: Option<f64>,
}

pub async fn run(args: EmulatorArgs) -> anyhow::Result<ExitCode> {
    let config = build_config(&args)?;
    let state = EmulatorState::new(config).context("invalid emulator settings")?;
    if let Some(path) = &args.data {
        let restored = attach_sqlite(&state, path)
            .await
            .with_context(|| format!("cannot open the lead database {}", path.display()))?;
        println!("restored {restored} leads from {}", path.display());
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let options = ServeOptions {
        plain_http: args.http,
        cert_out: args.cert_out.clone(),
    };
    let handle = spawn(state, listener, options)
        .await
        .context("cannot start the emulator")?;
    println!("Salesforce emulator ready");
    println!("  instance URL:  {}", handle.base_url);
    println!("  token URL:     {}", handle.token_url());
    println!("  client id:     {}", handle.client_id());
    println!("  client secret: {}", handle.client_secret());
    match (&args.cert_out, args.http) {
        (Some(path), false) => println!(
            "  certificate:   {} (trust it: curl --cacert, REQUESTS_CA_BUNDLE)",
            path.display()
        ),
        (None, false) => {
            println!("  certificate:   self-signed; pass --cert-out PATH to save it for clients")
        }
        _ => {}
    }
    println!(
        "  admin API:     {}/__emulator/stats (Ctrl-C to stop)",
        handle.base_url
    );
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    println!("stopping: finishing open requests");
    handle.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

fn build_config(args: &EmulatorArgs) -> anyhow::Result<EmulatorConfig> {
    let mut config = match &args.config {
        Some(path) => {
            if !path.is_file() {
                bail!("config file {} does not exist", path.display());
            }
            Figment::from(Serialized::defaults(EmulatorConfig::default()))
                .merge(Toml::file(path))
                .extract::<EmulatorConfig>()
                .with_context(|| format!("invalid emulator config in {}", path.display()))?
        }
        None => EmulatorConfig::default(),
    };
    if let Some(id) = &args.client_id {
        config.client_id.clone_from(id);
    }
    if let Some(secret) = &args.client_secret {
        config.client_secret.clone_from(secret);
    }
    if let Some(ttl) = args.token_ttl {
        config.token_ttl_seconds = ttl;
    }
    if let Some(limit) = args.daily_api_limit {
        config.daily_api_limit = limit;
    }
    if let Some(limit) = args.daily_bulk_batch_limit {
        config.daily_bulk_batch_limit = limit;
    }
    if args.admin_token.is_some() {
        config.admin_token.clone_from(&args.admin_token);
    }
    for spec in &args.custom_fields {
        config.custom_fields.push(parse_custom_field(spec)?);
    }
    for spec in &args.duplicate_rules {
        config.duplicate_rules.push(parse_duplicate_rule(spec)?);
    }
    let faults = &mut config.faults;
    faults.latency_ms = args.latency_ms.unwrap_or(faults.latency_ms);
    faults.error_rate = args.error_rate.unwrap_or(faults.error_rate);
    faults.error_status = args.error_status.unwrap_or(faults.error_status);
    faults.drop_rate = args.drop_rate.unwrap_or(faults.drop_rate);
    faults.lost_answer_rate = args.lost_answer_rate.unwrap_or(faults.lost_answer_rate);
    faults.seed = args.fault_seed.unwrap_or(faults.seed);
    faults.record_error_rate = args.record_error_rate.unwrap_or(faults.record_error_rate);
    faults.limit_exceeded |= args.limit_exceeded;
    faults.bulk_row_failure_rate = args
        .bulk_row_failure_rate
        .unwrap_or(faults.bulk_row_failure_rate);
    Ok(config.with_generated_credentials())
}

fn parse_custom_field(spec: &str) -> anyhow::Result<CustomFieldConfig> {
    let mut parts = spec.split(':');
    let name = parts.next().unwrap_or_default();
    let mut field = CustomFieldConfig::text(name);
    for part in parts {
        match part {
            "external" => field.external_id = true,
            "required" => field.required = true,
            type_name => {
                field.field_type = serde_json::from_value::<FieldType>(serde_json::Value::String(type_name.to_owned()))
                    .with_context(|| format!("--custom-field {spec}: unknown type `{type_name}` (string, email, boolean, int, double, date, datetime, textarea, phone, url, picklist)"))?;
            }
        }
    }
    Ok(field)
}

fn parse_duplicate_rule(spec: &str) -> anyhow::Result<DuplicateRule> {
    let (field, action) = spec.split_once(':').unwrap_or((spec, "alert"));
    let action = match action {
        "alert" => DuplicateAction::Alert,
        "block" => DuplicateAction::Block,
        other => {
            bail!("--duplicate-rule {spec}: the action must be `alert` or `block`, not `{other}`")
        }
    };
    Ok(DuplicateRule {
        field: field.to_owned(),
        action,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_field_specs() {
        let field = parse_custom_field("Ext_Id__c:string:external").map_err(|e| e.to_string());
        assert_eq!(
            field.as_ref().map(|f| (f.external_id, f.field_type)),
            Ok((true, FieldType::String))
        );
        let bad = parse_custom_field("X__c:bogus").map_err(|e| e.to_string());
        assert!(bad.is_err_and(|e| e.contains("unknown type `bogus`")));
        let rule = parse_duplicate_rule("Email:block").map_err(|e| e.to_string());
        assert_eq!(rule.map(|r| r.action), Ok(DuplicateAction::Block));
        assert!(parse_duplicate_rule("Email:maybe").is_err());
    }
}
