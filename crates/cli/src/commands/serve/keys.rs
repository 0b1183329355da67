//! The REST API keys `serve` accepts: the config's `[[api_keys]]` and `[[server.api_keys]]`,
//! a generated key for an entry with `when_unset = "generate"` whose variable is unset, and a
//! temporary key with every permission when there is none at all.

use anyhow::Context;
use leadwire_core::config::{Config, WhenKeyUnset};
use leadwire_core::permission::Permission;
use leadwire_server::ApiKeyConfig;

/// The keys, each logged by name; a generated key is logged in full, since the log is the
/// only place it can be read.
pub fn api_keys(
    config: &Config,
    server_keys: &[ApiKeyConfig],
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<Vec<ApiKeyConfig>> {
    let mut keys = Vec::new();
    for key in &config.api_keys {
        let variable = key.key_env.as_deref().unwrap_or("named by key_env");
        let secret = match (key.resolve(env), key.when_unset) {
            (Some(secret), _) => secret,
            (None, WhenKeyUnset::Generate) => {
                let secret = generated_key();
                // The config asked for this (`when_unset = "generate"`), so it is news, not
                // a warning.
                tracing::info!(
                    key = %key.name,
                    "{variable} is unset, so this run uses a generated API key: send `Authorization: Bearer {secret}` (export {variable} to choose your own)"
                );
                secret
            }
            (None, WhenKeyUnset::Error) => {
                return None.with_context(|| {
                    format!(
                        "API key `{}` has no value: set the environment variable {variable} or write `key = \"…\"`",
                        key.name
                    )
                });
            }
        };
        keys.push(ApiKeyConfig {
            name: key.name.clone(),
            key: secret,
            permissions: permissions(&key.name, &key.permissions),
        });
    }
    keys.extend(server_keys.iter().cloned());
    for key in &keys {
        let permissions: Vec<&str> = key.permissions.iter().map(|p| p.as_str()).collect();
        tracing::info!(key = %key.name, ?permissions, "REST API key loaded; send it as `Authorization: Bearer <key>`");
    }
    if keys.is_empty() {
        let secret = generated_key();
        tracing::warn!(key = %secret, "no [[api_keys]] configured: use this temporary key (every permission) for this run: Authorization: Bearer {secret}");
        keys.push(ApiKeyConfig {
            name: "temporary".into(),
            key: secret,
            permissions: Permission::ALL.to_vec(),
        });
    }
    Ok(keys)
}

fn permissions(key: &str, names: &[String]) -> Vec<Permission> {
    names
        .iter()
        .filter_map(|name| {
            let permission = Permission::from_name(name);
            if permission.is_none() {
                tracing::warn!(%key, permission = %name, "unknown permission ignored");
            }
            permission
        })
        .collect()
}

/// `lw-` and 32 random hex characters.
fn generated_key() -> String {
    format!("lw-{:032x}", rand::random::<u128>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(source: &str) -> Config {
        toml::from_str(source).unwrap_or_default()
    }

    #[test]
    fn an_unset_variable_is_an_error_unless_the_key_may_be_generated() {
        let strict = config("[[api_keys]]\nname = \"forms\"\nkey_env = \"NOT_SET_ANYWHERE\"\n");
        let error = api_keys(&strict, &[], &|_| None).map_err(|e| e.to_string());
        assert!(error.is_err_and(|e| e.contains("set the environment variable NOT_SET_ANYWHERE")));

        let lenient = config(
            "[[api_keys]]\nname = \"forms\"\nkey_env = \"NOT_SET_ANYWHERE\"\nwhen_unset = \"generate\"\npermissions = [\"users.track\"]\n",
        );
        let keys = api_keys(&lenient, &[], &|_| None).unwrap_or_default();
        assert_eq!(keys.len(), 1);
        assert!(keys[0].key.starts_with("lw-") && keys[0].key.len() == 35);
        assert_eq!(keys[0].permissions, vec![Permission::UsersTrack]);

        let set = api_keys(&lenient, &[], &|_| Some("chosen-key".into())).unwrap_or_default();
        assert_eq!(set.first().map(|key| key.key.as_str()), Some("chosen-key"));
    }
}
