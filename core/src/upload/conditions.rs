use super::UploadConfig;
use crate::consent::Category;

/// What the platform knows about the device right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Conditions {
    pub connected: bool,
    /// Cellular or a metered Wi-Fi.
    pub metered: bool,
    pub battery_low: bool,
}

impl Conditions {
    /// Connected, unmetered, battery fine.
    pub fn ideal() -> Conditions {
        Conditions {
            connected: true,
            metered: false,
            battery_low: false,
        }
    }

    /// Why a batch of `category` must wait under these conditions, if it must.
    pub fn hold(&self, config: &UploadConfig, category: Category) -> Option<Hold> {
        if self.battery_low && config.pause_on_low_battery && category != Category::Essential {
            return Some(Hold::LowBattery);
        }
        if self.metered && config.unmetered_only.contains(&category) {
            return Some(Hold::Unmetered);
        }
        None
    }
}

/// Why a batch waits for better conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    LowBattery,
    Unmetered,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crash_reports_go_on_low_battery_and_unmetered_rules_are_per_category() {
        let config = UploadConfig::default();
        let low = Conditions {
            battery_low: true,
            ..Conditions::ideal()
        };
        assert_eq!(low.hold(&config, Category::Essential), None);
        assert_eq!(
            low.hold(&config, Category::Analytics),
            Some(Hold::LowBattery)
        );
        let metered = Conditions {
            metered: true,
            ..Conditions::ideal()
        };
        assert_eq!(metered.hold(&config, Category::Analytics), None);
        assert_eq!(
            metered.hold(&config, Category::SensorsRaw),
            Some(Hold::Unmetered)
        );
        let relaxed = UploadConfig {
            pause_on_low_battery: false,
            ..UploadConfig::default()
        };
        assert_eq!(low.hold(&relaxed, Category::Analytics), None);
    }
}
