//! A minimized event as the wire encoder reads it: in place, with no copy, so sealing a batch
//! costs no allocation per event.

use modicum_wire::{Basis, Category, EncodeEvent, ValueRef, WireEvent, WireValue};

use super::{Minimized, MinimizedValue};

fn value_ref(v: &MinimizedValue) -> ValueRef<'_> {
    match v {
        MinimizedValue::Bool(b) => ValueRef::Bool(*b),
        MinimizedValue::Int(i) => ValueRef::Int(*i),
        MinimizedValue::Double(d) => ValueRef::Double(*d),
        MinimizedValue::Text(t) => ValueRef::Text(t),
        MinimizedValue::Location { lat, lon } => ValueRef::Location {
            lat: *lat,
            lon: *lon,
        },
    }
}

impl EncodeEvent for Minimized {
    fn name(&self) -> &str {
        Minimized::name(self)
    }
    fn category(&self) -> Category {
        Minimized::category(self)
    }
    fn basis(&self) -> Basis {
        Minimized::basis(self)
    }
    fn recorded_at_ms(&self) -> u64 {
        Minimized::recorded_at_ms(self)
    }
    fn keys(&self) -> impl Iterator<Item = &str> {
        self.properties().keys().map(AsRef::as_ref)
    }
    fn value(&self, key: &str) -> Option<ValueRef<'_>> {
        self.properties().get(key).map(|f| value_ref(f.value()))
    }
}

/// The event as a collector will decode it (for exports and tests; sealing reads in place).
impl From<&Minimized> for WireEvent {
    fn from(m: &Minimized) -> WireEvent {
        let properties = m
            .properties()
            .iter()
            .map(|(k, f)| (k.as_ref().into(), WireValue::from(value_ref(f.value()))))
            .collect();
        WireEvent {
            name: m.name().into(),
            category: m.category(),
            basis: m.basis(),
            recorded_at_ms: m.recorded_at_ms(),
            properties,
        }
    }
}
