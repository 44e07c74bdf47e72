use std::fmt;

/// One thing wrong with a policy document. Rules are numbered from 1, in document order, and
/// every error names the rule and its data class, so the author can find the entry.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PolicyError {
    #[error("the document is not valid {format}: {message}")]
    Parse {
        format: &'static str,
        message: String,
    },
    #[error("rule {rule}: unknown data class `{name}`")]
    UnknownDataClass { rule: usize, name: String },
    #[error("rule {rule} (`{class}`): unknown action `{name}`")]
    UnknownAction {
        rule: usize,
        class: String,
        name: String,
    },
    #[error("{entry}: unknown consent category `{name}`")]
    UnknownCategory { entry: String, name: String },
    #[error("rule {rule} (`{class}`): unknown age band `{name}`")]
    UnknownAgeBand {
        rule: usize,
        class: String,
        name: String,
    },
    #[error("rule {rule} (`{class}`): `{action}` needs the parameter `{parameter}`")]
    MissingParameter {
        rule: usize,
        class: String,
        action: String,
        parameter: &'static str,
    },
    #[error("rule {rule} (`{class}`): parameter `{parameter}` {reason}")]
    InvalidParameter {
        rule: usize,
        class: String,
        parameter: &'static str,
        reason: String,
    },
    #[error("rule {rule} (`{class}`): `{action}` does not apply to this data class")]
    NotApplicable {
        rule: usize,
        class: String,
        action: String,
    },
    #[error("rule {rule} (`id.hardware`): `{action}` would let a hardware identifier leave the device; only `drop` is allowed")]
    LetsHardwareIdThrough { rule: usize, action: String },
    #[error("rule {rule} (`contact`): `{action}` would let raw contact data leave the device; use `drop`, or `hash` with a `purpose`")]
    LetsRawContactThrough { rule: usize, action: String },
    #[error("rule {rule} (`{class}`): `{action}` would let a raw identifier leave the device; use `hash` or `drop`")]
    LetsRawIdentifierThrough {
        rule: usize,
        class: String,
        action: String,
    },
    #[error("rule {rule} (`text`): `{action}` would let unscrubbed text leave the device; use `scrub`, `hash` or `drop`")]
    LetsRawTextThrough { rule: usize, action: String },
    #[error("category `{category}` is introduced in version {introduced_in}, after the policy's own version {version}")]
    IntroducedAfterVersion {
        category: String,
        introduced_in: u32,
        version: u32,
    },
    #[error("`essential` needs a non-empty `purpose`: say what the processing exempt from consent is for")]
    EssentialWithoutPurpose,
    #[error("scrub.families: unknown family `{name}` (the families are: {known})")]
    UnknownScrubFamily { name: String, known: String },
    #[error("scrub.families is empty: free text would leave the device unscrubbed; leave it out to use every family")]
    NoScrubFamilies,
}

/// Every error found in a policy document, in document order.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyErrors(pub Vec<PolicyError>);

impl fmt::Display for PolicyErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PolicyErrors {}
