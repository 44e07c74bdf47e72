//! The deletion token: what proves ownership of an install pseudonym (`docs/wire-format.md`
//! section 7). A schema-2 install pseudonym is the hash of its period's token, so a collector
//! checks a proof by hashing, and never learns a token from what it stores.

use std::fmt;

use ring::hmac;

const DELETION_LABEL: &[u8] = b"modicum/deletion/v1";
/// Bytes of the token's SHA-256 a pseudonym keeps (128 bits).
const PSEUDONYM_BYTES: usize = 16;
const HEX: &[u8; 16] = b"0123456789abcdef";

/// A proof of ownership for deleting what a collector holds under one install pseudonym: the
/// pseudonym is a hash of the token (see [`DeletionToken::pseudonym`]), so whoever can show
/// the token made the pseudonym, and no one else can. Only the install's secret makes it
/// ([`DeletionToken::derive`]). It is not printed; it leaves the device only inside a sealed
/// deletion request.
#[derive(Clone, PartialEq, Eq)]
pub struct DeletionToken([u8; 32]);

impl fmt::Debug for DeletionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeletionToken(..)")
    }
}

impl DeletionToken {
    /// The token of rotation period `period` (milliseconds since the epoch divided by the
    /// rotation length) for the install whose secret keys `install_secret`:
    /// HMAC-SHA256(install secret, `modicum/deletion/v1` ‖ period as u64 big-endian).
    pub fn derive(install_secret: &hmac::Key, period: u64) -> DeletionToken {
        let mut ctx = hmac::Context::with_key(install_secret);
        ctx.update(DELETION_LABEL);
        ctx.update(&period.to_be_bytes());
        let mut token = [0u8; 32];
        token.copy_from_slice(ctx.sign().as_ref());
        DeletionToken(token)
    }

    /// The token as lowercase hex: for the sealed request and the device's queue only.
    pub fn to_hex_for_request(&self) -> String {
        hex(&self.0)
    }

    /// A token as a request carries it: 64 lowercase hex digits, or `None`.
    pub fn from_hex(text: &str) -> Option<DeletionToken> {
        let digit = |b: u8| match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            _ => None,
        };
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return None;
        }
        let mut token = [0u8; 32];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            token[i] = digit(pair[0])? << 4 | digit(pair[1])?;
        }
        Some(DeletionToken(token))
    }

    /// The install pseudonym this token proves: `p1_` and the first 16 bytes of the token's
    /// SHA-256, lowercase hex. A collector checks a deletion request with this alone; finding a
    /// token for someone else's pseudonym is finding a SHA-256 preimage.
    pub fn pseudonym(&self) -> String {
        let digest = ring::digest::digest(&ring::digest::SHA256, &self.0);
        format!("p1_{}", hex(&digest.as_ref()[..PSEUDONYM_BYTES]))
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(2 * bytes.len());
    for byte in bytes {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_and_its_pseudonym_match_an_independent_computation() {
        // token = hmac(secret, "modicum/deletion/v1" || 3 as u64 BE), pseudonym
        // "p1_" + sha256(token)[..16], computed with Python's hmac and hashlib modules.
        let key = hmac::Key::new(hmac::HMAC_SHA256, &[7; 32]);
        let token = DeletionToken::derive(&key, 3);
        let hex = "53fd7441a676fd811a9079f9f28a6f9f763e8a0442b64a4618c8e0147c867639";
        assert_eq!(token.to_hex_for_request(), hex);
        assert_eq!(token.pseudonym(), "p1_d31fc53088830c57f7c625de4a8e8d1e");
        assert_eq!(DeletionToken::from_hex(hex), Some(token));
        assert_eq!(
            format!("{:?}", DeletionToken::from_hex(hex)),
            "Some(DeletionToken(..))"
        );
        for bad in [
            &hex[1..],
            &hex.to_uppercase(),
            &format!("{}g", &hex[1..]),
            "",
        ] {
            assert_eq!(DeletionToken::from_hex(bad), None, "{bad}");
        }
    }
}
