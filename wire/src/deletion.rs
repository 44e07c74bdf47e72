//! The deletion request's payload: what `/v1/deletions` carries, sealed like a batch but under
//! its own HPKE `info` ([`crate::envelope::Purpose::Deletion`]), so only the collector reads
//! it and one kind of envelope is never taken for the other.
//!
//! It is MessagePack, uncompressed (it is a few random tokens): the array
//! `[schema, requested_at_ms, [[install_pseudonym, token_hex], …]]`. Each token proves the
//! request comes from the install that made the data under that pseudonym: the pseudonym is
//! the token's hash, so the collector checks each proof by hashing, and deletes only what is
//! proven (see [`DeletionToken::pseudonym`] and `docs/wire-format.md`).

use serde::{Deserialize, Serialize};

use super::WireError;
use crate::DeletionToken;

/// The deletion payload's schema version.
pub const DELETION_SCHEMA: u16 = 1;

/// The most proofs one request may carry: one per pseudonym period within the retention
/// window, so a config whose rotation is too short for its retention is refused at start.
pub const MAX_PROOFS: usize = 1_024;

/// One pseudonym and the token that proves it is this install's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    pub install_pseudonym: String,
    pub token: DeletionToken,
}

/// A deletion request as it travels: when the user asked, and a proof per pseudonym.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletionPayload {
    pub requested_at_ms: u64,
    pub proofs: Vec<Proof>,
}

#[derive(Serialize, Deserialize)]
struct Layout<S> {
    schema: u16,
    requested_at_ms: u64,
    proofs: Vec<(S, S)>,
}

/// The payload's bytes.
pub fn encode_deletion(payload: &DeletionPayload) -> Result<Vec<u8>, WireError> {
    let proofs = payload
        .proofs
        .iter()
        .map(|p| (p.install_pseudonym.clone(), p.token.to_hex_for_request()))
        .collect();
    let layout = Layout {
        schema: DELETION_SCHEMA,
        requested_at_ms: payload.requested_at_ms,
        proofs,
    };
    rmp_serde::to_vec(&layout).map_err(|e| WireError::Encode(e.to_string()))
}

/// Decodes a payload that must hold exactly `expected` proofs (the count the envelope's
/// authenticated header declares), at most [`MAX_PROOFS`], each token 64 lowercase hex digits.
/// The pseudonyms are not checked here: that is the collector's rule.
pub fn decode_deletion(bytes: &[u8], expected: u32) -> Result<DeletionPayload, WireError> {
    let expected = usize::try_from(expected).unwrap_or(usize::MAX);
    if expected > MAX_PROOFS {
        return Err(WireError::TooManyEvents { limit: MAX_PROOFS });
    }
    // The count is checked before decoding: serde preallocates at most a bounded amount
    // whatever an array claims, and the body itself is small.
    let layout: Layout<&str> =
        rmp_serde::from_slice(bytes).map_err(|e| WireError::Malformed(e.to_string()))?;
    if layout.schema != DELETION_SCHEMA {
        return Err(WireError::UnknownSchema(layout.schema));
    }
    if layout.proofs.len() != expected {
        return Err(WireError::Malformed(format!(
            "the header declares {expected} proofs, the payload holds {}",
            layout.proofs.len()
        )));
    }
    let proofs = layout
        .proofs
        .into_iter()
        .map(|(pseudonym, token)| {
            let token = DeletionToken::from_hex(token).ok_or_else(|| {
                WireError::Malformed("a token is not 64 lowercase hex digits".into())
            })?;
            Ok(Proof {
                install_pseudonym: pseudonym.to_owned(),
                token,
            })
        })
        .collect::<Result<_, WireError>>()?;
    Ok(DeletionPayload {
        requested_at_ms: layout.requested_at_ms,
        proofs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::hmac;

    fn payload(n: u64) -> DeletionPayload {
        let secret = hmac::Key::new(hmac::HMAC_SHA256, &[7; 32]);
        let proofs = (0..n)
            .map(|period| {
                let token = DeletionToken::derive(&secret, period);
                Proof {
                    install_pseudonym: token.pseudonym(),
                    token,
                }
            })
            .collect();
        DeletionPayload {
            requested_at_ms: 1_795_359_944_414,
            proofs,
        }
    }

    #[test]
    fn round_trips_and_checks_the_declared_count() {
        let sent = payload(4);
        let bytes = encode_deletion(&sent).unwrap();
        assert_eq!(decode_deletion(&bytes, 4).unwrap(), sent);
        assert!(matches!(
            decode_deletion(&bytes, 5),
            Err(WireError::Malformed(m)) if m.contains("declares 5")
        ));
        assert_eq!(
            decode_deletion(&bytes, u32::try_from(MAX_PROOFS).unwrap() + 1),
            Err(WireError::TooManyEvents { limit: MAX_PROOFS })
        );
    }

    #[test]
    fn hostile_payloads_are_refused_with_a_reason() {
        let good = encode_deletion(&payload(1)).unwrap();
        for cut in 0..good.len() {
            assert!(decode_deletion(&good[..cut], 1).is_err(), "cut at {cut}");
        }
        let as_layout = |proofs: Vec<(&str, &str)>| {
            rmp_serde::to_vec(&Layout {
                schema: DELETION_SCHEMA,
                requested_at_ms: 1,
                proofs,
            })
            .unwrap()
        };
        let short = as_layout(vec![("p1_00", "abcd")]);
        assert!(matches!(
            decode_deletion(&short, 1),
            Err(WireError::Malformed(_))
        ));
        let upper = "AB".repeat(32);
        let upper = as_layout(vec![("p1_00", &upper)]);
        assert!(matches!(
            decode_deletion(&upper, 1),
            Err(WireError::Malformed(_))
        ));
        let future = rmp_serde::to_vec(&Layout::<&str> {
            schema: 2,
            requested_at_ms: 1,
            proofs: vec![],
        })
        .unwrap();
        assert_eq!(
            decode_deletion(&future, 0),
            Err(WireError::UnknownSchema(2))
        );
    }
}
