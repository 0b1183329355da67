//! Finding a user from what an operator types, as Braze's Search Users does: the kind of
//! identifier is read from the text (a UUID is a braze_id, an `@` an email, `label:name` an
//! alias, digits with an optional leading `+` a phone, anything else an external_id), and
//! external_id is tried as well when that kind finds no one, since an external_id may look
//! like any of them.

use leadwire_core::profile::{Profile, UserAlias};
use leadwire_core::track::UserIdentifier;
use leadwire_store::{Store, StoreResult};
use uuid::Uuid;

/// What the text was searched as, for the page to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Searched {
    /// The identifiers tried, in order, as `kind \`value\``.
    pub tried: Vec<String>,
}

/// The identifier `text` most likely is.
pub fn identifier(text: &str) -> UserIdentifier {
    let text = text.trim();
    if let Ok(id) = Uuid::parse_str(text) {
        return UserIdentifier::BrazeId(id);
    }
    if text.contains('@') {
        return UserIdentifier::Email(text.to_owned());
    }
    if let Some((label, name)) = text.split_once(':')
        && !label.is_empty()
        && !name.is_empty()
    {
        return UserIdentifier::Alias(UserAlias {
            alias_label: label.to_owned(),
            alias_name: name.to_owned(),
        });
    }
    if looks_like_phone(text) {
        return UserIdentifier::Phone(text.to_owned());
    }
    UserIdentifier::ExternalId(text.to_owned())
}

/// A leading `+` or digit, then only digits and the marks phone numbers are written with.
fn looks_like_phone(text: &str) -> bool {
    text.starts_with(|c: char| c == '+' || c.is_ascii_digit())
        && text[1..]
            .chars()
            .all(|c| c.is_ascii_digit() || " -().".contains(c))
}

/// How an identifier reads on the page: `email \`ada@example.com\``.
pub fn describe(identifier: &UserIdentifier) -> String {
    match identifier {
        UserIdentifier::ExternalId(id) => format!("external_id `{id}`"),
        UserIdentifier::BrazeId(id) => format!("braze_id `{id}`"),
        UserIdentifier::Email(email) => format!("email `{email}`"),
        UserIdentifier::Phone(phone) => format!("phone `{phone}`"),
        UserIdentifier::Alias(alias) => format!(
            "alias `{}:{}` (label `{}`, name `{}`)",
            alias.alias_label, alias.alias_name, alias.alias_label, alias.alias_name
        ),
    }
}

/// The user `text` names, and what was tried.
pub async fn find(store: &dyn Store, text: &str) -> StoreResult<(Option<Profile>, Searched)> {
    let guess = identifier(text);
    let mut tried = vec![describe(&guess)];
    if let Some(profile) = store.find_profile(&guess).await? {
        return Ok((Some(profile), Searched { tried }));
    }
    let found = match guess {
        UserIdentifier::ExternalId(_) => None,
        _ => {
            let external = UserIdentifier::ExternalId(text.trim().to_owned());
            tried.push(describe(&external));
            store.find_profile(&external).await?
        }
    };
    Ok((found, Searched { tried }))
}

impl Searched {
    /// "email `x`, then external_id `x`".
    pub fn summary(&self) -> String {
        self.tried.join(", then ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_is_read_from_the_text() {
        let id = Uuid::new_v4();
        assert_eq!(identifier(&format!(" {id} ")), UserIdentifier::BrazeId(id));
        assert_eq!(
            identifier("Ada@Example.com"),
            UserIdentifier::Email("Ada@Example.com".into())
        );
        assert_eq!(
            identifier("crm:42"),
            UserIdentifier::Alias(UserAlias {
                alias_label: "crm".into(),
                alias_name: "42".into()
            })
        );
        assert_eq!(
            identifier("+14155550100"),
            UserIdentifier::Phone("+14155550100".into())
        );
        assert_eq!(
            identifier("(415) 555-0100"),
            UserIdentifier::ExternalId("(415) 555-0100".into()),
            "a phone starts with + or a digit"
        );
        assert_eq!(
            identifier("415 555-0100"),
            UserIdentifier::Phone("415 555-0100".into())
        );
        for external in ["00Q5e00000AbCdEFGH", "42abc", ":x", "x:"] {
            assert_eq!(
                identifier(external),
                UserIdentifier::ExternalId(external.into()),
                "{external}"
            );
        }
    }

    #[test]
    fn descriptions_name_the_kind_and_the_value() {
        assert_eq!(
            describe(&identifier("crm:42")),
            "alias `crm:42` (label `crm`, name `42`)"
        );
        let searched = Searched {
            tried: vec![describe(&identifier("+1")), "external_id `+1`".into()],
        };
        assert_eq!(searched.summary(), "phone `+1`, then external_id `+1`");
    }
}
