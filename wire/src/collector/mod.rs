//! The collector's side of the envelope (the `collector` feature): key pairs and their files,
//! the ring of live keys, and opening what devices sealed. Devices never need it, so the
//! mobile library does not link its HPKE implementation (the `hpke` crate; the device seals with
//! its own on `ring`, and each is tested against the other and against RFC 9180's vectors).

mod keys;
mod open;

pub use keys::{read_public, KeyPair, KeyRing};
pub use open::{open_envelope, OpenError};
