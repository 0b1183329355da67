//! Who sent a request, as far as limits per client go: its IP address from axum's
//! `ConnectInfo`, with an IPv6 address counted by its /64 (one host usually holds a whole /64,
//! so counting single addresses would give it billions of budgets).
//!
//! The address is the peer of the TCP connection: behind a reverse proxy every client shares
//! the proxy's address, and no forwarded header is trusted.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::Extensions;

/// The client a limit per client counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Client {
    /// An IPv4 address, or an IPv6 /64 (the rest of the address zeroed).
    Ip(IpAddr),
    /// The router was called without `ConnectInfo` (served without
    /// `into_make_service_with_connect_info`, or called directly): all such requests count as
    /// one client.
    Unknown,
}

impl Client {
    /// The client of a request, from the `ConnectInfo<SocketAddr>` in its extensions.
    pub fn of(extensions: &Extensions) -> Self {
        extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(Self::Unknown, |ConnectInfo(peer)| Self::from_ip(peer.ip()))
    }

    pub fn from_ip(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V6(address) => {
                let prefix = u128::from(address) & !((1u128 << 64) - 1);
                Self::Ip(IpAddr::V6(Ipv6Addr::from(prefix)))
            }
            v4 => Self::Ip(v4),
        }
    }
}

impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ip(IpAddr::V6(prefix)) => write!(f, "{prefix}/64"),
            Self::Ip(v4) => write!(f, "{v4}"),
            Self::Unknown => f.write_str("unknown"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(text: &str) -> Client {
        Client::from_ip(text.parse().expect("an IP address"))
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_prefix() {
        assert_eq!(
            client("2001:db8:1:2:aaaa::1"),
            client("2001:db8:1:2:bbbb::9")
        );
        assert_ne!(client("2001:db8:1:2::1"), client("2001:db8:1:3::1"));
        assert_eq!(client("2001:db8:1:2::1").to_string(), "2001:db8:1:2::/64");
    }

    #[test]
    fn ipv4_addresses_count_alone_even_when_mapped_into_ipv6() {
        assert_eq!(client("::ffff:192.0.2.7"), client("192.0.2.7"));
        assert_ne!(client("192.0.2.7"), client("192.0.2.8"));
        assert_eq!(client("192.0.2.7").to_string(), "192.0.2.7");
    }

    #[test]
    fn a_request_without_connect_info_is_the_unknown_client() {
        assert_eq!(Client::of(&Extensions::new()), Client::Unknown);
        let mut extensions = Extensions::new();
        extensions.insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 2], 5000))));
        assert_eq!(Client::of(&extensions), client("127.0.0.2"));
    }
}
