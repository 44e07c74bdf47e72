//! Device context: what a device is, collected at start and whenever it changes, minimized by
//! policy like any event, and attached once to each batch rather than repeated in every event.

use crate::consent::Category;
use crate::event::{Event, Value};
use crate::policy::DataClass;

/// What the platform reports about the device. Absent fields are simply not sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeviceInfo {
    pub brand: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub os_name: Option<String>,
    pub os_version: Option<String>,
    pub os_build: Option<String>,
    pub app_version: Option<String>,
    pub cpu_arch: Option<String>,
    pub cpu_cores: Option<u32>,
    pub ram_bytes: Option<u64>,
    pub storage_total_bytes: Option<u64>,
    pub storage_free_bytes: Option<u64>,
    pub screen_width: Option<u32>,
    pub screen_height: Option<u32>,
    pub screen_density: Option<f64>,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
    pub emulator: Option<bool>,
    /// Rooted (Android) or jailbroken (iOS).
    pub rooted: Option<bool>,
    /// 0–100.
    pub battery_level: Option<u8>,
    pub charging: Option<bool>,
    /// "wifi", "cellular", "ethernet", "none".
    pub network_type: Option<String>,
}

/// The name of the event device context is minimized as.
pub const DEVICE_EVENT: &str = "device";

impl DeviceInfo {
    /// The device context as an event whose every field declares its data class, so the
    /// policy decides each one (diagnostics category: it describes the app's environment).
    pub fn to_event(&self) -> Event {
        use DataClass::{DeviceBasic, DeviceCapacity, DeviceScreen, NetworkBasic};
        let text = |v: &Option<String>| v.clone().map(Value::Text);
        let int = |v: Option<u64>| v.map(|v| Value::Int(i64::try_from(v).unwrap_or(i64::MAX)));
        let fields: [(&str, Option<Value>, DataClass); 22] = [
            ("brand", text(&self.brand), DeviceBasic),
            ("manufacturer", text(&self.manufacturer), DeviceBasic),
            ("model", text(&self.model), DeviceBasic),
            ("os_name", text(&self.os_name), DeviceBasic),
            ("os_version", text(&self.os_version), DeviceBasic),
            ("os_build", text(&self.os_build), DeviceBasic),
            ("app_version", text(&self.app_version), DeviceBasic),
            ("cpu_arch", text(&self.cpu_arch), DeviceBasic),
            ("cpu_cores", int(self.cpu_cores.map(u64::from)), DeviceBasic),
            ("ram_bytes", int(self.ram_bytes), DeviceCapacity),
            (
                "storage_total_bytes",
                int(self.storage_total_bytes),
                DeviceCapacity,
            ),
            (
                "storage_free_bytes",
                int(self.storage_free_bytes),
                DeviceCapacity,
            ),
            (
                "screen_width",
                int(self.screen_width.map(u64::from)),
                DeviceScreen,
            ),
            (
                "screen_height",
                int(self.screen_height.map(u64::from)),
                DeviceScreen,
            ),
            (
                "screen_density_dpi",
                int(self.screen_density.map(whole_dpi)),
                DeviceScreen,
            ),
            ("locale", text(&self.locale), DeviceBasic),
            ("time_zone", text(&self.time_zone), DeviceBasic),
            ("emulator", self.emulator.map(Value::Bool), DeviceBasic),
            ("rooted", self.rooted.map(Value::Bool), DeviceBasic),
            (
                "battery_level",
                int(self.battery_level.map(u64::from)),
                DeviceCapacity,
            ),
            ("charging", self.charging.map(Value::Bool), DeviceBasic),
            ("network_type", text(&self.network_type), NetworkBasic),
        ];
        fields
            .into_iter()
            .filter_map(|(key, value, class)| Some((key, value?, class)))
            .fold(
                Event::new(DEVICE_EVENT).in_category(Category::Diagnostics),
                |event, (key, value, class)| event.with_class(key, value, class),
            )
    }
}

/// A screen density from the platform, in whole dpi: negative and NaN read as 0, and anything
/// past u32::MAX (no screen's) as u32::MAX.
// Clamped to 0..=u32::MAX before the cast (NaN became 0): it cannot truncate or lose a sign.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn whole_dpi(density: f64) -> u64 {
    density.max(0.0).min(f64::from(u32::MAX)).round() as u64
}
