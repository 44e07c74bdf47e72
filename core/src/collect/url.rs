//! URL templates for HTTP request metrics: host and path, with identifiers in the path
//! replaced by `{id}` and the query, fragment and credentials removed, so request metrics can
//! be grouped without carrying who asked for what.

/// The template of `url`: `host[:port]/path` with ID-like segments as `{id}`. A text that is not
/// an absolute http(s) URL yields its path part alone, templated the same way.
pub fn url_template(url: &str) -> String {
    let url = url.trim();
    let rest = match url.split_once("://") {
        Some((_, rest)) => rest,
        None => url,
    };
    // Everything from the first '?' or '#' on is query or fragment.
    let rest = &rest[..rest.find(['?', '#']).unwrap_or(rest.len())];
    let (authority, path) = match (url.contains("://"), rest.find('/')) {
        (true, Some(i)) => (&rest[..i], &rest[i..]),
        (true, None) => (rest, ""),
        (false, _) => ("", rest),
    };
    // user:password@host → host
    let host = authority
        .rsplit('@')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut out = host;
    for (i, segment) in path.split('/').enumerate() {
        if i == 0 && segment.is_empty() {
            continue;
        }
        out.push('/');
        out.push_str(if is_identifier(segment) {
            "{id}"
        } else {
            segment
        });
    }
    out
}

/// Whether a path segment names one thing rather than a kind of thing: numbers, UUIDs, long
/// hex or base64-ish tokens, emails, or anything mixing many digits with letters.
fn is_identifier(segment: &str) -> bool {
    if segment.is_empty() {
        return false;
    }
    let digits = segment.bytes().filter(u8::is_ascii_digit).count();
    let hex = segment.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    segment.contains('@')
        || digits == segment.len()
        || (hex && segment.len() >= 16)
        || (segment.len() >= 16 && digits >= 4)
        || (digits >= 3 && digits * 2 >= segment.len())
        || (segment.len() >= 24 && !segment.contains(['-', '_', '.']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_queries_and_credentials_go() {
        for (url, template) in [
            (
                "https://api.example.com/v1/users/12345/orders?token=abc",
                "api.example.com/v1/users/{id}/orders",
            ),
            (
                "https://API.Example.com:8443/v2/items/6f1c2a9e-3b7d-4c1e-9a2b-5d8e7f6a1b2c#top",
                "api.example.com:8443/v2/items/{id}",
            ),
            ("http://bob:secret@example.com/a/b", "example.com/a/b"),
            (
                "https://cdn.example.com/img/5f4dcc3b5aa765d61d8327deb882cf99.png",
                "cdn.example.com/img/{id}",
            ),
            (
                "https://example.com/u/ann@example.org/profile",
                "example.com/u/{id}/profile",
            ),
            (
                "https://example.com/sessions/eyJhbGciOiJIUzI1NiJ9abcdefgh",
                "example.com/sessions/{id}",
            ),
            ("https://example.com/v1/checkout", "example.com/v1/checkout"),
            ("https://example.com/", "example.com/"),
            ("https://example.com", "example.com"),
            ("/v1/orders/981?x=1", "/v1/orders/{id}"),
            (
                "https://example.com/api/v2/order-items/a1b2c3d4e5",
                "example.com/api/v2/order-items/{id}",
            ),
        ] {
            assert_eq!(url_template(url), template, "{url}");
        }
    }
}
