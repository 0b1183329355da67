//! The REST permissions an API key may hold, named as Braze names them (`users.track`,
//! `campaigns.trigger.send`, …), and the web console's `console.read` and `console.write`. Config validation and the server's key checks both read
//! names through [`Permission::from_name`].

use serde::{Deserialize, Serialize};

/// What a key may do; `messages.activity` is accepted for `activity.read`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    #[serde(rename = "users.track")]
    UsersTrack,
    #[serde(rename = "users.export.ids")]
    UsersExportIds,
    #[serde(rename = "users.delete")]
    UsersDelete,
    #[serde(rename = "users.alias.new")]
    UsersAliasNew,
    #[serde(rename = "campaigns.trigger.send")]
    CampaignsTriggerSend,
    #[serde(rename = "canvas.trigger.send")]
    CanvasTriggerSend,
    #[serde(rename = "activity.read", alias = "messages.activity")]
    ActivityRead,
    /// Logging in to the web console and reading its pages.
    #[serde(rename = "console.read")]
    ConsoleRead,
    /// The console's actions: replaying a send, sending a test.
    #[serde(rename = "console.write")]
    ConsoleWrite,
}

impl Permission {
    pub const ALL: [Permission; 9] = [
        Self::UsersTrack,
        Self::UsersExportIds,
        Self::UsersDelete,
        Self::UsersAliasNew,
        Self::CampaignsTriggerSend,
        Self::CanvasTriggerSend,
        Self::ActivityRead,
        Self::ConsoleRead,
        Self::ConsoleWrite,
    ];

    /// The permission a config name stands for; `messages.activity` is accepted for
    /// `activity.read`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "messages.activity" => Some(Self::ActivityRead),
            _ => Self::ALL
                .into_iter()
                .find(|permission| permission.as_str() == name),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::UsersTrack => "users.track",
            Self::UsersExportIds => "users.export.ids",
            Self::UsersDelete => "users.delete",
            Self::UsersAliasNew => "users.alias.new",
            Self::CampaignsTriggerSend => "campaigns.trigger.send",
            Self::CanvasTriggerSend => "canvas.trigger.send",
            Self::ActivityRead => "activity.read",
            Self::ConsoleRead => "console.read",
            Self::ConsoleWrite => "console.write",
        }
    }

    /// The names to suggest, comma-separated: `users.track, users.export.ids, …`.
    pub fn known_names() -> String {
        Self::ALL.map(Self::as_str).join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_and_serde_agrees_with_them() {
        for permission in Permission::ALL {
            assert_eq!(Permission::from_name(permission.as_str()), Some(permission));
            let json = serde_json::to_value(permission).expect("serialisable");
            assert_eq!(json, permission.as_str());
        }
        assert_eq!(
            Permission::from_name("messages.activity"),
            Some(Permission::ActivityRead)
        );
        let alias: Permission =
            serde_json::from_value("messages.activity".into()).expect("the alias");
        assert_eq!(alias, Permission::ActivityRead);
        assert_eq!(Permission::from_name("users.merge"), None);
        assert!(Permission::known_names().starts_with("users.track, users.export.ids"));
    }
}
