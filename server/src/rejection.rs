/// Why a request was refused; each maps to the status code the client's upload rules expect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// Not a sealed batch, truncated, tampered with, or not a valid payload inside: 400.
    #[error("malformed batch: {0}")]
    Malformed(String),
    /// Sealed to a key this server does not hold: 401.
    #[error("unknown key id {0}")]
    UnknownKey(String),
    /// The body, or what it inflates to, is over the limit: 413.
    #[error("too large: {0}")]
    TooLarge(String),
    /// It opened, but holds data the device should have minimized: 422.
    #[error("not minimized: {0}")]
    NotMinimized(String),
}

impl Rejection {
    pub fn status(&self) -> u16 {
        match self {
            Rejection::Malformed(_) => 400,
            Rejection::UnknownKey(_) => 401,
            Rejection::TooLarge(_) => 413,
            Rejection::NotMinimized(_) => 422,
        }
    }

    /// A stable snake_case name, for error bodies and counters.
    pub fn kind(&self) -> &'static str {
        match self {
            Rejection::Malformed(_) => "malformed",
            Rejection::UnknownKey(_) => "unknown_key",
            Rejection::TooLarge(_) => "too_large",
            Rejection::NotMinimized(_) => "not_minimized",
        }
    }
}
