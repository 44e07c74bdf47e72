use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::TransformError;

/// An IP address reduced to its network: IPv4 to the /24, IPv6 to the /48.
///
/// A /24 or /48 still tells the region and the network operator, which is what diagnostics
/// need, but no longer the subscriber. IPv4-mapped IPv6 addresses are treated as the IPv4
/// address they carry (else the /48 would keep the whole IPv4 address), and a zone
/// (`fe80::1%eth0`) is dropped, since interface names can be personal.
pub fn generalize_ip(text: &str) -> Result<String, TransformError> {
    let text = text.trim();
    let unzoned = text.split_once('%').map_or(text, |(addr, _zone)| addr);
    let ip: IpAddr = unzoned.parse().map_err(|_| TransformError::NotAnIp)?;
    Ok(match ip {
        IpAddr::V4(v4) => v4_prefix(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4_prefix(v4),
            None => v6_prefix(v6),
        },
    })
}

fn v4_prefix(ip: Ipv4Addr) -> String {
    let [a, b, c, _] = ip.octets();
    format!("{a}.{b}.{c}.0/24")
}

fn v6_prefix(ip: Ipv6Addr) -> String {
    let s = ip.segments();
    let network = Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0);
    format!("{network}/48")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_each_family() {
        let cases = [
            ("203.0.113.77", "203.0.113.0/24"),
            (" 10.1.2.3\n", "10.1.2.0/24"),
            ("127.0.0.1", "127.0.0.0/24"),
            ("2001:db8:abcd:12::1", "2001:db8:abcd::/48"),
            (
                "2001:0db8:abcd:0012:0000:0000:0000:0001",
                "2001:db8:abcd::/48",
            ),
            ("::1", "::/48"),
            ("::", "::/48"),
            ("::ffff:203.0.113.77", "203.0.113.0/24"),
            ("fe80::1%eth0", "fe80::/48"),
            ("fe80::abcd:1%3", "fe80::/48"),
        ];
        for (input, expected) in cases {
            assert_eq!(generalize_ip(input).as_deref(), Ok(expected), "{input:?}");
        }
    }

    #[test]
    fn garbage_is_not_an_ip() {
        for input in [
            "999.1.1.1",
            "1.2.3",
            "",
            "%eth0",
            "::ffff:999.1.1.1",
            "host.example",
            "1.2.3.4/24",
        ] {
            assert_eq!(
                generalize_ip(input),
                Err(TransformError::NotAnIp),
                "{input:?}"
            );
        }
    }
}
