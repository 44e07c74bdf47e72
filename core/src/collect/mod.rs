//! What the core collects beyond custom events: device context, crashes and hangs, sensor
//! windows, network metrics. Each is a plain shape here; the runtime turns it into events (or
//! batch context) and minimizes it by policy like anything else. Platforms supply the raw
//! readings through the [`providers`].

pub mod crash;
pub mod device;
pub mod providers;
pub mod sensors;
mod url;

pub use url::url_template;
