//! Who is on the other end of a request, for rate limits and the audit trail.
//!
//! Behind the recommended reverse proxy every connection comes from the proxy, so the
//! connection's address alone would put every resident under one limit. `X-Forwarded-For` is
//! believed only when the connection comes from a configured proxy (`trusted_proxies`): the
//! header is read from the right, skipping trusted proxies, and the first other address is the
//! client. A client that is not a proxy cannot choose its address by sending the header.

use std::net::IpAddr;

/// An address or a CIDR range (`127.0.0.1`, `10.0.0.0/8`, `fd00::/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    addr: IpAddr,
    prefix: u8,
}

impl Net {
    pub fn parse(s: &str) -> Option<Net> {
        let (a, p) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = a.parse().ok()?;
        let addr = addr.to_canonical();
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(Net { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(n), IpAddr::V4(i)) => {
                let mask = u32::MAX.checked_shl(32 - self.prefix as u32).unwrap_or(0);
                u32::from(n) & mask == u32::from(i) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(i)) => {
                let mask = u128::MAX.checked_shl(128 - self.prefix as u32).unwrap_or(0);
                u128::from(n) & mask == u128::from(i) & mask
            }
            _ => false,
        }
    }
}

/// The configured proxies, parsed once (invalid entries are refused by settings validation).
pub fn nets(trusted: &[String]) -> Vec<Net> {
    trusted.iter().filter_map(|s| Net::parse(s)).collect()
}

/// One `X-Forwarded-For` entry: an address, perhaps with a port.
fn entry_ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
        .map(|ip| ip.to_canonical())
}

/// The client's address: the connection's, or — when the connection is a trusted proxy — the
/// right-most address in `forwarded` (all `X-Forwarded-For` values, in order) that is not a
/// trusted proxy itself.
pub fn client_ip(peer: Option<IpAddr>, forwarded: &[&str], trusted: &[Net]) -> String {
    let Some(peer) = peer.map(|p| p.to_canonical()) else {
        return String::new();
    };
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(peer) {
        return peer.to_string();
    }
    let mut client = peer;
    let entries = forwarded
        .iter()
        .flat_map(|h| h.split(','))
        .collect::<Vec<_>>();
    for e in entries.iter().rev() {
        match entry_ip(e) {
            Some(ip) => {
                client = ip;
                if !is_trusted(ip) {
                    break;
                }
            }
            // Garbage in the chain: believe nothing to its left.
            None => break,
        }
    }
    client.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let trusted = nets(&["127.0.0.1".into(), "10.0.0.0/8".into()]);
        // Not a proxy: the header is ignored.
        assert_eq!(
            client_ip(ip("203.0.113.9"), &["1.2.3.4"], &trusted),
            "203.0.113.9"
        );
        // Through the proxy: the client it saw.
        assert_eq!(
            client_ip(ip("127.0.0.1"), &["198.51.100.7"], &trusted),
            "198.51.100.7"
        );
        // A forged left part is ignored; chains of trusted proxies are skipped.
        assert_eq!(
            client_ip(
                ip("127.0.0.1"),
                &["6.6.6.6, 198.51.100.7", "10.1.2.3"],
                &trusted
            ),
            "198.51.100.7"
        );
        assert_eq!(
            client_ip(ip("127.0.0.1"), &["junk, 10.0.0.5"], &trusted),
            "10.0.0.5"
        );
        assert_eq!(client_ip(ip("127.0.0.1"), &[], &trusted), "127.0.0.1");
        assert_eq!(
            client_ip(ip("::ffff:127.0.0.1"), &["198.51.100.7:4431"], &trusted),
            "198.51.100.7"
        );
        assert_eq!(client_ip(ip("127.0.0.1"), &["1.2.3.4"], &[]), "127.0.0.1");
    }

    #[test]
    fn nets_parse_and_match() {
        assert!(Net::parse("10.0.0.0/8")
            .unwrap()
            .contains(ip("10.200.1.1").unwrap()));
        assert!(!Net::parse("10.0.0.0/8")
            .unwrap()
            .contains(ip("11.0.0.1").unwrap()));
        assert!(Net::parse("0.0.0.0/0")
            .unwrap()
            .contains(ip("8.8.8.8").unwrap()));
        assert!(Net::parse("fd00::/8")
            .unwrap()
            .contains(ip("fd12::1").unwrap()));
        assert!(Net::parse("10.0.0.0/33").is_none());
        assert!(Net::parse("proxy.local").is_none());
    }
}
