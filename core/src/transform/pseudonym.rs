use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

use modicum_wire::DeletionToken;

use super::TransformError;

/// How long a pseudonym stays the same by default.
pub const DEFAULT_ROTATION: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// Bytes of HMAC output kept: 128 bits is far beyond any brute force of the inputs and keeps
/// collisions negligible for any realistic number of users.
const PSEUDONYM_BYTES: usize = 16;
const PERIOD_LABEL: &[u8] = b"modicum/pseudonym/v1/period";
const GENERATION_LABEL: &[u8] = b"modicum/pseudonym/v1/generation";

/// The per-install secret pseudonyms are keyed with. It cannot be printed, cloned or
/// serialized, and its bytes are overwritten when it is dropped; the only way out is
/// [`InstallSecret::to_bytes_for_storage`], whose name says what it is for.
pub struct InstallSecret([u8; 32]);

impl InstallSecret {
    /// A fresh secret from the operating system's random source.
    pub fn generate() -> Result<InstallSecret, TransformError> {
        let mut bytes = [0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| TransformError::Random)?;
        Ok(InstallSecret(bytes))
    }

    /// A secret read back from storage.
    pub fn from_bytes(bytes: [u8; 32]) -> InstallSecret {
        InstallSecret(bytes)
    }

    /// The bytes, to be written to protected storage and nowhere else.
    pub fn to_bytes_for_storage(&self) -> [u8; 32] {
        self.0
    }
}

impl fmt::Debug for InstallSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InstallSecret(..)")
    }
}

impl Drop for InstallSecret {
    fn drop(&mut self) {
        for byte in &mut self.0 {
            // Volatile, so the compiler cannot drop the write as dead.
            unsafe { std::ptr::write_volatile(byte, 0) };
        }
    }
}

/// Turns identifiers into keyed, rotating pseudonyms.
///
/// A pseudonym is HMAC-SHA256 under a key derived from the install secret for the current
/// period, over the data class and the value, truncated to 128 bits: stable within one
/// install and period, unlinkable across installs and across periods. Never a plain hash: a
/// phone number, IMEI or IDFA space is small enough to enumerate, so without the key anyone
/// could reverse a hash by trying every value.
pub struct Pseudonymizer {
    root: hmac::Key,
    period_ms: u64,
    generation: u32,
    /// The current period's key, kept because deriving it costs one HMAC per call otherwise.
    current: Mutex<Option<(u64, hmac::Key)>>,
}

impl fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pseudonymizer")
            .field("period_ms", &self.period_ms)
            .finish_non_exhaustive()
    }
}

impl Pseudonymizer {
    pub fn new(
        secret: &InstallSecret,
        rotation: Duration,
    ) -> Result<Pseudonymizer, TransformError> {
        let period_ms = u64::try_from(rotation.as_millis()).unwrap_or(u64::MAX);
        if period_ms == 0 {
            return Err(TransformError::InvalidParameter {
                name: "rotation",
                reason: "must be at least a millisecond".into(),
            });
        }
        let root = hmac::Key::new(hmac::HMAC_SHA256, &secret.0);
        let tag = hmac::sign(&root, GENERATION_LABEL);
        // Never 0, which stands for "unknown" in events journaled before generations.
        let generation = u32::from_be_bytes([
            tag.as_ref()[0],
            tag.as_ref()[1],
            tag.as_ref()[2],
            tag.as_ref()[3],
        ])
        .max(1);
        Ok(Pseudonymizer {
            root,
            period_ms,
            generation,
            current: Mutex::new(None),
        })
    }

    /// The pseudonym of `value` in `domain` (a data class name, so equal values in two
    /// classes do not link) at time `now_ms`: `p1_` and 32 lowercase hex digits.
    pub fn pseudonym(&self, domain: &str, value: &str, now_ms: u64) -> String {
        let key = self.period_key(now_ms / self.period_ms);
        let mut ctx = hmac::Context::with_key(&key);
        // The domain's length comes first, so no (domain, value) pair can read as another.
        ctx.update(&(domain.len() as u64).to_be_bytes());
        ctx.update(domain.as_bytes());
        ctx.update(value.as_bytes());
        let tag = ctx.sign();
        let mut out = String::with_capacity(3 + 2 * PSEUDONYM_BYTES);
        out.push_str("p1_");
        for byte in &tag.as_ref()[..PSEUDONYM_BYTES] {
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
        out
    }

    /// A short tag of the secret, the same for every pseudonymizer made from it and (but for a
    /// one in four billion chance) different for another: it tells events hashed under the
    /// current secret from events hashed under one `reset_identifiers` replaced. Not secret:
    /// it never leaves the device, and reveals nothing of the key.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// The install's deletion token for the period holding `now_ms`: HMAC-SHA256 under the
    /// install secret over `modicum/deletion/v1` and the period number (u64, big-endian). Its
    /// hash is the install pseudonym of that period, so a collector can check a token it is
    /// shown, and never learns one from what it stores.
    pub fn deletion_token(&self, now_ms: u64) -> DeletionToken {
        DeletionToken::derive(&self.root, now_ms / self.period_ms)
    }

    /// The install's pseudonym for the period holding `now_ms`: what a batch names its sender
    /// by, so the collector can rate-limit, and honour deletion without a stable identifier.
    /// It is the hash of that period's deletion token ([`DeletionToken::pseudonym`]).
    pub fn install_pseudonym(&self, now_ms: u64) -> String {
        self.deletion_token(now_ms).pseudonym()
    }

    /// The deletion tokens of the current period and of each earlier one reaching back
    /// `window_ms`, newest first: what a deletion request proves, one pseudonym each.
    pub fn deletion_tokens_since(&self, now_ms: u64, window_ms: u64) -> Vec<DeletionToken> {
        let periods = window_ms.div_ceil(self.period_ms);
        let mut tokens: Vec<DeletionToken> = (0..=periods)
            .map(|k| self.deletion_token(now_ms.saturating_sub(k * self.period_ms)))
            .collect();
        tokens.dedup();
        tokens
    }

    fn period_key(&self, period: u64) -> hmac::Key {
        let mut current = self
            .current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match &*current {
            Some((p, key)) if *p == period => key.clone(),
            _ => {
                let mut ctx = hmac::Context::with_key(&self.root);
                ctx.update(PERIOD_LABEL);
                ctx.update(&period.to_be_bytes());
                let key = hmac::Key::new(hmac::HMAC_SHA256, ctx.sign().as_ref());
                *current = Some((period, key.clone()));
                key
            }
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(86_400);
    const DAY_MS: u64 = 86_400_000;

    fn with(secret: [u8; 32]) -> Pseudonymizer {
        Pseudonymizer::new(&InstallSecret::from_bytes(secret), DAY).unwrap()
    }

    #[test]
    fn matches_an_independent_computation() {
        // hmac(hmac(secret, label || 0u64 BE), len("id.install") as u64 BE || "id.install" || "abc")[..16],
        // computed with Python's hmac module.
        assert_eq!(
            with([7; 32]).pseudonym("id.install", "abc", 0),
            "p1_1f4d8f8db607e2bfe8ae60cf4261913c"
        );
    }

    #[test]
    fn a_deletion_token_and_its_pseudonym_match_an_independent_computation() {
        // token = hmac(secret, "modicum/deletion/v1" || period as u64 BE), and the pseudonym
        // "p1_" + sha256(token)[..16], computed with Python's hmac and hashlib modules.
        let install = with([7; 32]);
        let token = install.deletion_token(3 * DAY_MS + 5);
        // The same vector as `modicum_wire`'s token test: the device derives what the wire
        // format specifies (the token's own encoding is tested there).
        assert_eq!(
            token.to_hex_for_request(),
            "53fd7441a676fd811a9079f9f28a6f9f763e8a0442b64a4618c8e0147c867639"
        );
        assert_eq!(token.pseudonym(), "p1_d31fc53088830c57f7c625de4a8e8d1e");
        assert_eq!(install.install_pseudonym(3 * DAY_MS), token.pseudonym());
        // Another install's token for the same period is another token.
        assert_ne!(with([8; 32]).deletion_token(0), install.deletion_token(0));
        // One token a period in the window, newest first, each proving that period's pseudonym.
        let tokens = install.deletion_tokens_since(10 * DAY_MS, 3 * DAY_MS);
        let pseudonyms: Vec<String> = tokens.iter().map(DeletionToken::pseudonym).collect();
        let expected: Vec<String> = (7..=10)
            .rev()
            .map(|d| install.install_pseudonym(d * DAY_MS))
            .collect();
        assert_eq!(pseudonyms, expected);
    }

    #[test]
    fn stable_within_a_period_and_new_at_its_boundary() {
        let p = with([7; 32]);
        let first = p.pseudonym("id.install", "abc", 0);
        assert_eq!(first, p.pseudonym("id.install", "abc", DAY_MS - 1));
        assert_ne!(first, p.pseudonym("id.install", "abc", DAY_MS));
        assert_eq!(
            first,
            p.pseudonym("id.install", "abc", 5),
            "going back reuses the old key"
        );
    }

    #[test]
    fn installs_and_domains_do_not_link() {
        let a = with([1; 32]).pseudonym("id.install", "abc", 0);
        assert_ne!(a, with([2; 32]).pseudonym("id.install", "abc", 0));
        assert_ne!(a, with([1; 32]).pseudonym("id.vendor", "abc", 0));
        assert_ne!(
            with([1; 32]).pseudonym("a", "b\0c", 0),
            with([1; 32]).pseudonym("a\0b", "c", 0)
        );
    }

    #[test]
    fn the_output_has_one_shape_and_hides_the_input() {
        let p = with([7; 32]).pseudonym("contact", "ann@example.org", 42);
        assert_eq!(p.len(), 35);
        assert!(p.starts_with("p1_") && p[3..].bytes().all(|b| HEX.contains(&b)));
        assert!(!p.contains("ann") && !p.contains("example"));
    }

    #[test]
    fn secrets_do_not_print_and_generate_differs() {
        assert_eq!(
            format!("{:?}", InstallSecret::from_bytes([0xab; 32])),
            "InstallSecret(..)"
        );
        let (a, b) = (
            InstallSecret::generate().unwrap(),
            InstallSecret::generate().unwrap(),
        );
        assert_ne!(a.to_bytes_for_storage(), b.to_bytes_for_storage());
        assert!(Pseudonymizer::new(&a, Duration::ZERO).is_err());
    }
}
