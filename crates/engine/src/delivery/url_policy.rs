//! The outbound URL policy: http and https only, and no private, loopback or link-local
//! address unless its host is allowlisted in config.
//!
//! The check runs twice: on the URL before a request (hosts written as IP addresses, and
//! names such as `localhost`), and in the HTTP client's DNS resolver (names that resolve to
//! a forbidden address), so a name cannot be pointed at an internal address after the check.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;
use url::{Host, Url};

/// Why a URL may not be called.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefusal {
    #[error("{0} is not a valid URL")]
    Invalid(String),
    #[error("{url} uses the scheme {scheme}; only http and https are allowed")]
    Scheme { url: String, scheme: String },
    #[error(
        "{url} points at the non-public address {address}; add its host to `delivery.allowed_hosts` to allow it"
    )]
    NonPublic { url: String, address: String },
}

/// Hosts and networks that may be called even though they are not public.
#[derive(Debug, Clone, Default)]
pub struct Allowlist {
    names: Vec<String>,
    networks: Vec<IpNet>,
}

impl Allowlist {
    /// Entries are host names (`localhost`, `emulator.internal`), IP addresses, or networks
    /// in CIDR form (`10.0.0.0/8`).
    pub fn new<'a>(entries: impl IntoIterator<Item = &'a str>) -> Self {
        let mut allowlist = Self::default();
        for entry in entries {
            let entry = entry.trim();
            if let Ok(network) = entry.parse::<IpNet>() {
                allowlist.networks.push(network);
            } else if let Ok(address) = entry.parse::<IpAddr>() {
                allowlist.networks.push(IpNet::from(address));
            } else {
                allowlist.names.push(entry.to_ascii_lowercase());
            }
        }
        allowlist
    }

    fn allows_name(&self, host: &str) -> bool {
        self.names
            .iter()
            .any(|name| name.eq_ignore_ascii_case(host))
    }

    fn allows_address(&self, address: IpAddr) -> bool {
        self.networks
            .iter()
            .any(|network| network.contains(&address))
    }
}

/// Whether `address` is one that the public internet cannot reach.
pub fn is_non_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                // 100.64.0.0/10, carrier-grade NAT
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xC0) == 64)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_non_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link local
        }
    }
}

/// Check a URL before it is called.
pub fn check_url(raw: &str, allowlist: &Allowlist) -> Result<Url, UrlRefusal> {
    let url = Url::parse(raw).map_err(|_| UrlRefusal::Invalid(raw.to_owned()))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(UrlRefusal::Scheme {
            url: raw.to_owned(),
            scheme: url.scheme().to_owned(),
        });
    }
    let address = match url.host() {
        None => return Err(UrlRefusal::Invalid(raw.to_owned())),
        Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.');
            let is_local_name = name.eq_ignore_ascii_case("localhost")
                || name.to_ascii_lowercase().ends_with(".localhost");
            if is_local_name && !allowlist.allows_name(name) {
                return Err(UrlRefusal::NonPublic {
                    url: raw.to_owned(),
                    address: name.to_owned(),
                });
            }
            return Ok(url);
        }
    };
    let host = url.host_str().unwrap_or_default();
    if is_non_public(address) && !allowlist.allows_address(address) && !allowlist.allows_name(host)
    {
        return Err(UrlRefusal::NonPublic {
            url: raw.to_owned(),
            address: address.to_string(),
        });
    }
    Ok(url)
}

/// A DNS resolver for the HTTP client that drops non-public addresses of hosts that are
/// not allowlisted.
#[derive(Debug, Clone)]
pub struct PolicyResolver {
    allowlist: Arc<Allowlist>,
}

impl PolicyResolver {
    pub fn new(allowlist: Arc<Allowlist>) -> Self {
        Self { allowlist }
    }
}

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allowlist = self.allowlist.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let host_allowed = allowlist.allows_name(&host);
            let usable: Vec<SocketAddr> = resolved
                .into_iter()
                .filter(|socket| {
                    host_allowed
                        || !is_non_public(socket.ip())
                        || allowlist.allows_address(socket.ip())
                })
                .collect();
            if usable.is_empty() {
                let message = format!(
                    "{host} resolves only to non-public addresses; add it to `delivery.allowed_hosts` to allow it"
                );
                return Err(message.into());
            }
            let addresses: reqwest::dns::Addrs = Box::new(usable.into_iter());
            Ok(addresses)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_placeholder_url_is_not_valid() {
        let url = "https://[insert_instance_name].my.salesforce.com/services/oauth2/token";
        let refusal = check_url(url, &Allowlist::default()).expect_err("placeholder host");
        assert_eq!(
            refusal.to_string(),
            "https://[insert_instance_name].my.salesforce.com/services/oauth2/token is not a valid URL"
        );
    }

    #[test]
    fn only_http_and_https_are_allowed() {
        let refusal = check_url("ftp://example.com/x", &Allowlist::default()).expect_err("ftp");
        assert_eq!(
            refusal.to_string(),
            "ftp://example.com/x uses the scheme ftp; only http and https are allowed"
        );
        assert!(check_url("https://example.com/x", &Allowlist::default()).is_ok());
    }

    #[test]
    fn private_loopback_and_link_local_are_refused_unless_allowlisted() {
        let none = Allowlist::default();
        for url in [
            "http://127.0.0.1:8443/x",
            "http://10.1.2.3/x",
            "http://192.168.0.1/x",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]:80/x",
            "http://[fe80::1]/x",
            "http://localhost:8080/x",
            "http://[::ffff:127.0.0.1]/x",
        ] {
            assert!(
                matches!(check_url(url, &none), Err(UrlRefusal::NonPublic { .. })),
                "{url} must be refused"
            );
        }
        let allow = Allowlist::new(["127.0.0.1", "localhost", "10.0.0.0/8"]);
        assert!(check_url("http://127.0.0.1:8443/x", &allow).is_ok());
        assert!(check_url("http://localhost:8443/x", &allow).is_ok());
        assert!(check_url("http://10.9.9.9/x", &allow).is_ok());
        assert!(check_url("http://192.168.0.1/x", &allow).is_err());
    }

    #[test]
    fn refusal_names_the_fix() {
        let refusal = check_url("http://127.0.0.1/x", &Allowlist::default()).expect_err("loopback");
        assert_eq!(
            refusal.to_string(),
            "http://127.0.0.1/x points at the non-public address 127.0.0.1; add its host to `delivery.allowed_hosts` to allow it"
        );
    }

    #[tokio::test]
    async fn the_resolver_drops_non_public_addresses() {
        use reqwest::dns::Resolve;
        let strict = PolicyResolver::new(Arc::new(Allowlist::default()));
        let name: reqwest::dns::Name = "localhost".parse().expect("a name");
        assert!(strict.resolve(name).await.is_err());
        let allowing = PolicyResolver::new(Arc::new(Allowlist::new(["localhost"])));
        let name: reqwest::dns::Name = "localhost".parse().expect("a name");
        let addresses: Vec<SocketAddr> = allowing.resolve(name).await.expect("allowed").collect();
        assert!(addresses.iter().all(|socket| socket.ip().is_loopback()));
        assert!(!addresses.is_empty());
    }
}
