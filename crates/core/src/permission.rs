//! The REST permissions an API key may hold, named as Braze names them (`users.track`,
//! `campaigns.trigger.send`, …), and the web console's `console.read` and `console.write`. Config validation and the server's key checks both read
//! names through [`Permission::from_name`].

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Declares the permissions and their names once: the enum, `ALL` and `as_str` come from
/// the same list, so a name can never be missing from one of them.
macro_rules! permissions {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)+) => {
        /// What a key may do; `messages.activity` is accepted for `activity.read`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Permission {
            $($(#[$doc])* $variant,)+
        }

        impl Permission {
            pub const ALL: &'static [Permission] = &[$(Self::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)+
                }
            }
        }
    };
}

permissions! {
    UsersTrack => "users.track",
    UsersExportIds => "users.export.ids",
    UsersExportSegment => "users.export.segment",
    UsersDelete => "users.delete",
    UsersAliasNew => "users.alias.new",
    UsersAliasUpdate => "users.alias.update",
    UsersIdentify => "users.identify",
    UsersMerge => "users.merge",
    UsersExternalIdsRename => "users.external_ids.rename",
    UsersExternalIdsRemove => "users.external_ids.remove",
    SegmentsList => "segments.list",
    SegmentsDetails => "segments.details",
    SegmentsDataSeries => "segments.data_series",
    CampaignsTriggerSend => "campaigns.trigger.send",
    CampaignsTriggerScheduleCreate => "campaigns.trigger.schedule.create",
    CampaignsTriggerScheduleUpdate => "campaigns.trigger.schedule.update",
    CampaignsTriggerScheduleDelete => "campaigns.trigger.schedule.delete",
    CampaignsList => "campaigns.list",
    CampaignsDetails => "campaigns.details",
    CampaignsDataSeries => "campaigns.data_series",
    CanvasTriggerSend => "canvas.trigger.send",
    CanvasTriggerScheduleCreate => "canvas.trigger.schedule.create",
    CanvasTriggerScheduleUpdate => "canvas.trigger.schedule.update",
    CanvasTriggerScheduleDelete => "canvas.trigger.schedule.delete",
    CanvasList => "canvas.list",
    CanvasDetails => "canvas.details",
    CanvasDataSeries => "canvas.data_series",
    CanvasDataSummary => "canvas.data_summary",
    MessagesSend => "messages.send",
    MessagesScheduleCreate => "messages.schedule.create",
    MessagesScheduleUpdate => "messages.schedule.update",
    MessagesScheduleDelete => "messages.schedule.delete",
    MessagesScheduleBroadcasts => "messages.schedule_broadcasts",
    SendsIdCreate => "sends.id.create",
    SendsDataSeries => "sends.data_series",
    ContentBlocksList => "content_blocks.list",
    ContentBlocksInfo => "content_blocks.info",
    ContentBlocksCreate => "content_blocks.create",
    ContentBlocksUpdate => "content_blocks.update",
    ActivityRead => "activity.read",
    /// Logging in to the web console and reading its pages.
    ConsoleRead => "console.read",
    /// The console's actions: replaying a send, sending a test.
    ConsoleWrite => "console.write",
}

impl Permission {
    /// The permission a config name stands for; `messages.activity` is accepted for
    /// `activity.read`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "messages.activity" => Some(Self::ActivityRead),
            _ => Self::ALL
                .iter()
                .copied()
                .find(|permission| permission.as_str() == name),
        }
    }

    /// The names to suggest, comma-separated: `users.track, users.export.ids, …`.
    pub fn known_names() -> String {
        Self::ALL
            .iter()
            .map(|permission| permission.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Serialize for Permission {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Permission {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Self::from_name(&name).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown permission `{name}`; use one of {}",
                Self::known_names()
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_and_serde_agrees_with_them() {
        for &permission in Permission::ALL {
            assert_eq!(Permission::from_name(permission.as_str()), Some(permission));
            let json = serde_json::to_value(permission).expect("serialisable");
            assert_eq!(json, permission.as_str());
            let back: Permission = serde_json::from_value(json).expect("readable");
            assert_eq!(back, permission);
        }
        assert_eq!(
            Permission::from_name("messages.activity"),
            Some(Permission::ActivityRead)
        );
        let alias: Permission =
            serde_json::from_value("messages.activity".into()).expect("the alias");
        assert_eq!(alias, Permission::ActivityRead);
        assert_eq!(Permission::from_name("users.merg"), None);
        assert!(serde_json::from_value::<Permission>("nope".into()).is_err());
        assert!(Permission::known_names().starts_with("users.track, users.export.ids"));
    }

    #[test]
    fn every_name_is_unique() {
        let mut names: Vec<_> = Permission::ALL.iter().map(|p| p.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Permission::ALL.len());
    }
}
