/// Why a batch was refused. Each maps to the status code the client's upload rules expect, so
/// the device knows whether to retry, split, or drop.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// Not a sealed batch, truncated, or not a valid payload inside: 400.
    #[error("malformed batch: {reason}")]
    Malformed { reason: String },
    /// The header parsed but the AEAD refused it: a byte was changed on the way, or the batch
    /// was sealed with a different key than its header names. 400, never retried.
    #[error("the batch does not open: it was tampered with or sealed to another key")]
    Tampered,
    /// Sealed to a key id this server does not hold: 401.
    #[error("unknown key id {key_id}")]
    UnknownKey { key_id: String },
    /// The body, or what it inflates to, is over the limit: 413 (the device splits the batch).
    #[error("too large: {reason}")]
    TooLarge { reason: String },
    /// It opened, but holds data the device should have minimized: 422.
    #[error("not minimized: {reason}")]
    NotMinimized { reason: String },
    /// Made outside the window the server keeps data for (too old, or too far in the future
    /// for any clock's drift): 422.
    #[error("stale: {reason}")]
    Stale { reason: String },
}

impl Rejection {
    pub fn malformed(reason: impl Into<String>) -> Rejection {
        Rejection::Malformed {
            reason: reason.into(),
        }
    }

    pub fn too_large(reason: impl Into<String>) -> Rejection {
        Rejection::TooLarge {
            reason: reason.into(),
        }
    }

    pub fn not_minimized(reason: impl Into<String>) -> Rejection {
        Rejection::NotMinimized {
            reason: reason.into(),
        }
    }

    pub fn stale(reason: impl Into<String>) -> Rejection {
        Rejection::Stale {
            reason: reason.into(),
        }
    }

    /// The HTTP status the service answers with.
    pub fn status(&self) -> u16 {
        match self {
            Rejection::Malformed { .. } | Rejection::Tampered => 400,
            Rejection::UnknownKey { .. } => 401,
            Rejection::TooLarge { .. } => 413,
            Rejection::NotMinimized { .. } | Rejection::Stale { .. } => 422,
        }
    }

    /// A stable snake_case name, for error bodies and counters.
    pub fn kind(&self) -> &'static str {
        match self {
            Rejection::Malformed { .. } => "malformed",
            Rejection::Tampered => "tampered",
            Rejection::UnknownKey { .. } => "unknown_key",
            Rejection::TooLarge { .. } => "too_large",
            Rejection::NotMinimized { .. } => "not_minimized",
            Rejection::Stale { .. } => "stale",
        }
    }
}
