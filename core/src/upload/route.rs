use super::UploadConfig;

/// A collector's base URL (`https://eu.collector.example`) and the region it stores data in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub region: String,
    pub url: String,
}

/// Where uploads may go now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route<'a> {
    To(&'a Endpoint),
    /// Only endpoints outside the home region exist, and `cross_border` is not granted.
    NeedsCrossBorder,
    NoEndpoint,
}

impl UploadConfig {
    /// The home region's endpoint; failing that, another region's only with `cross_border`
    /// consent. Data never leaves its region by default: it waits instead.
    pub fn route(&self, cross_border: bool) -> Route<'_> {
        if let Some(home) = self.endpoints.iter().find(|e| e.region == self.home_region) {
            return Route::To(home);
        }
        match self.endpoints.first() {
            None => Route::NoEndpoint,
            Some(other) if cross_border => Route::To(other),
            Some(_) => Route::NeedsCrossBorder,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(region: &str) -> Endpoint {
        Endpoint {
            region: region.into(),
            url: format!("https://{region}.example"),
        }
    }

    #[test]
    fn home_first_then_abroad_only_with_consent() {
        let mut config = UploadConfig {
            home_region: "eu".into(),
            endpoints: vec![endpoint("us"), endpoint("eu")],
            ..UploadConfig::default()
        };
        assert_eq!(config.route(false), Route::To(&endpoint("eu")));
        assert_eq!(config.route(true), Route::To(&endpoint("eu")));
        config.endpoints.remove(1);
        assert_eq!(config.route(false), Route::NeedsCrossBorder);
        assert_eq!(config.route(true), Route::To(&endpoint("us")));
        config.endpoints.clear();
        assert_eq!(config.route(true), Route::NoEndpoint);
    }
}
