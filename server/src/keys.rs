//! The collector's key pairs and their files, from `modicum-wire` (its `collector` feature):
//! a collector written on that crate reads the same files.

pub use modicum_wire::collector::{read_public, KeyPair, KeyRing};
