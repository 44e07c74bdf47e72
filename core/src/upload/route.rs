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
    /// The home region: the one named, or else the first endpoint's.
    pub fn home(&self) -> Option<&str> {
        self.home_region
            .as_deref()
            .or_else(|| self.endpoints.first().map(|e| e.region.as_str()))
    }

    /// The home region's endpoint; failing that, another region's only with `cross_border`
    /// consent. Data never leaves its region by default: it waits instead.
    pub fn route(&self, cross_border: bool) -> Route<'_> {
        let home = self.home();
        if let Some(home) = self
            .endpoints
            .iter()
            .find(|e| Some(e.region.as_str()) == home)
        {
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
    use crate::consent::Category;

    fn endpoint(region: &str) -> Endpoint {
        Endpoint {
            region: region.into(),
            url: format!("https://{region}.example"),
        }
    }

    #[test]
    fn home_first_then_abroad_only_with_consent() {
        let mut config = UploadConfig {
            home_region: Some("eu".into()),
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

    #[test]
    fn with_no_home_named_the_first_endpoint_is_home_on_every_platform() {
        let config = UploadConfig {
            endpoints: vec![endpoint("cn"), endpoint("eu")],
            ..UploadConfig::default()
        };
        assert_eq!(config.home(), Some("cn"));
        assert_eq!(config.route(false), Route::To(&endpoint("cn")));
        assert_eq!(UploadConfig::default().home(), None);
        assert_eq!(UploadConfig::default().route(true), Route::NoEndpoint);
    }

    #[test]
    fn only_unmetered_holds_everything_but_essential() {
        let mut config = UploadConfig::default();
        config.upload_only_unmetered();
        assert!(!config.unmetered_only.contains(&Category::Essential));
        assert_eq!(config.unmetered_only.len(), Category::ALL.len() - 1);
    }
}
