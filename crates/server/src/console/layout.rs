//! The page shell every console page shares: head, navigation, the logout form, and the
//! session's CSRF token for htmx requests.

use maud::{DOCTYPE, Markup, html};

use super::assets;
use super::session::Operator;

/// The sections in the navigation, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Overview,
    Activity,
    Campaigns,
    Canvases,
    Users,
    Templates,
    Config,
}

impl Section {
    const ALL: [Section; 7] = [
        Self::Overview,
        Self::Activity,
        Self::Campaigns,
        Self::Canvases,
        Self::Users,
        Self::Templates,
        Self::Config,
    ];

    fn label(self) -> &'static str {
        match self {
            Self::Overview => "Overview",
            Self::Activity => "Activity log",
            Self::Campaigns => "Campaigns",
            Self::Canvases => "Canvases",
            Self::Users => "Users",
            Self::Templates => "Templates",
            Self::Config => "Configuration",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Self::Overview => "/console/",
            Self::Activity => "/console/log",
            Self::Campaigns => "/console/campaigns",
            Self::Canvases => "/console/canvases",
            Self::Users => "/console/users",
            Self::Templates => "/console/templates",
            Self::Config => "/console/config",
        }
    }
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="htmx-config" content=r#"{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"selfRequestsOnly":true}"#;
            title { (title) " · leadwire console" }
            link rel="stylesheet" href=(assets::css_path());
            script src=(assets::HTMX_PATH) defer {}
        }
    }
}

/// A full page of `section` for a logged-in `operator`.
pub fn page(title: &str, section: Section, operator: &Operator, body: Markup) -> Markup {
    let csrf_header = serde_json::json!({ "X-CSRF-Token": operator.csrf }).to_string();
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body hx-headers=(csrf_header) {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/console/" { "leadwire" }
                    nav aria-label="Console sections" {
                        ul {
                            @for each in Section::ALL {
                                li {
                                    @if each == section {
                                        a href=(each.path()) aria-current="page" { (each.label()) }
                                    } @else {
                                        a href=(each.path()) { (each.label()) }
                                    }
                                }
                            }
                        }
                    }
                    form.logout method="post" action="/console/logout" {
                        input type="hidden" name="csrf" value=(operator.csrf);
                        span.who { "Key " strong { (operator.key_name) } @if !operator.can_write { " (read only)" } }
                        button type="submit" { "Log out" }
                    }
                }
                main #main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// A page without navigation: the login form and error pages.
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body.bare {
                main #main {
                    p.brand { a href="/console/" { "leadwire" } }
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}
