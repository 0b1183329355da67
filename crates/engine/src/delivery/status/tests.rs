//! The snapshot's parts: token states from a cache's record, and breakers and rests handed
//! to the connections whose URLs name their hosts.

use std::time::Duration;

use leadwire_core::config::Config;
use leadwire_salesforce::token_client::TokenFetch;

use super::*;
use crate::delivery::breaker::BreakerSettings;

const SECRET: &str = "client-secret-0123456789";

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + seconds, 0).expect("valid time")
}

fn system(seconds: i64) -> SystemTime {
    at(seconds).into()
}

fn redactor() -> Redactor {
    let mut redactor = Redactor::new(Vec::new());
    redactor.add_secret_value(SECRET);
    redactor
}

fn fetched(seconds: i64, error: Option<&str>, expires: Option<i64>) -> TokenCacheStatus {
    TokenCacheStatus {
        fetches: 2,
        last_fetch: Some(TokenFetch {
            at: system(seconds),
            error: error.map(str::to_owned),
        }),
        expires_at: expires.map(system),
    }
}

#[test]
fn token_states_follow_the_last_fetch_and_the_expiry() {
    let redactor = redactor();
    let none = TokenStatus::of(TokenCacheStatus::default(), at(0), &redactor);
    assert_eq!(none.state, TokenState::NotFetched);
    assert_eq!((none.fetches, none.last_fetch_at), (0, None));

    let fresh = TokenStatus::of(fetched(0, None, Some(3600)), at(10), &redactor);
    assert_eq!(fresh.state, TokenState::Fresh);
    assert_eq!(fresh.fetches, 2);
    assert_eq!(fresh.last_fetch_at, Some(at(0)));
    assert_eq!(fresh.expires_at, Some(at(3600)));
    assert_eq!(fresh.last_error, None);

    let outlived = TokenStatus::of(fetched(0, None, Some(3600)), at(3600), &redactor);
    assert_eq!(outlived.state, TokenState::Expired);
    let refused = TokenStatus::of(fetched(0, None, None), at(10), &redactor);
    assert_eq!(refused.state, TokenState::Expired);

    let error = format!("token endpoint answered HTTP 400 with an unreadable body: {SECRET}");
    let failing = TokenStatus::of(fetched(20, Some(&error), Some(3600)), at(30), &redactor);
    assert_eq!(failing.state, TokenState::Failing);
    let shown = failing.last_error.expect("the error");
    assert!(
        shown.starts_with("token endpoint answered HTTP 400"),
        "{shown}"
    );
    assert!(!shown.contains(SECRET), "{shown}");
}

fn connections() -> Vec<SalesforceConnection> {
    let config: Config = toml::from_str(
        r#"
        [[salesforce_connections]]
        name = "sales"
        instance_url = "https://acme.my.salesforce.com"
        login_url = "https://login.salesforce.com"
        client_id = "id"

        [[salesforce_connections]]
        name = "support"
        instance_url = "https://acme.my.salesforce.com"
        client_id = "other"
        "#,
    )
    .expect("a valid config");
    config.salesforce_connections
}

#[test]
fn a_connection_lists_its_instance_host_then_its_login_host() {
    let [sales, support] = &connections()[..] else {
        panic!("two connections");
    };
    assert_eq!(
        hosts_of(sales),
        ["acme.my.salesforce.com", "login.salesforce.com"]
    );
    assert_eq!(hosts_of(support), ["acme.my.salesforce.com"]);
}

#[test]
fn breakers_and_rests_go_to_the_connections_that_name_them() {
    let breakers = CircuitBreakers::new(BreakerSettings {
        failure_threshold: 1,
        window: Duration::from_secs(60),
        cooldown: Duration::from_secs(60),
    });
    let backoffs = ConnectionBackoffs::new(TimeDelta::minutes(5), TimeDelta::minutes(60));
    let instant = Instant::now();
    breakers.record("acme.my.salesforce.com", 503, instant);
    breakers.record("acme.my.salesforce.com", 503, instant);
    breakers.record("hooks.example.com", 502, instant);
    backoffs.back_off("sales", at(0));
    backoffs.back_off("api.example.com", at(0));

    let now = at(30);
    let later = instant + Duration::from_secs(30);
    let mut hosts = HostStates::read(&breakers, &backoffs, now, later);
    assert_eq!(hosts.rest_of("sales"), Some(at(300)));
    assert_eq!(hosts.rest_of("support"), None);
    let paused = hosts.host("acme.my.salesforce.com");
    assert_eq!(
        paused,
        HostStatus {
            host: "acme.my.salesforce.com".into(),
            breaker: BreakerState::Paused { until: at(60) },
            recent_failures: 0,
            resting_until: None,
        },
        "paused for the 60 s cooldown from the second failure, 30 s ago"
    );
    assert_eq!(hosts.host("acme.my.salesforce.com"), paused, "shared");
    assert_eq!(
        hosts.host("login.salesforce.com").breaker,
        BreakerState::Closed
    );
    assert_eq!(
        hosts.others(),
        vec![
            HostStatus {
                host: "api.example.com".into(),
                breaker: BreakerState::Closed,
                recent_failures: 0,
                resting_until: Some(at(300)),
            },
            HostStatus {
                host: "hooks.example.com".into(),
                breaker: BreakerState::Closed,
                recent_failures: 1,
                resting_until: None,
            },
        ]
    );

    let after_pause = HostStates::read(
        &breakers,
        &backoffs,
        at(90),
        instant + Duration::from_secs(90),
    )
    .host("acme.my.salesforce.com");
    assert_eq!(after_pause.breaker, BreakerState::Probing);
}
