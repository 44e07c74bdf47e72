use modicum_core::Error as CoreError;

/// The errors a foreign caller can see: exceptions in Kotlin, thrown errors in Swift.
/// Mirrors [`modicum_core::Error`] field for field.
#[derive(Debug, Clone, PartialEq, thiserror::Error, uniffi::Error)]
pub enum ModicumError {
    #[error("the event name is empty")]
    EmptyEventName,
    #[error("the event name is longer than {max} bytes")]
    EventNameTooLong { max: u32 },
    #[error("event names starting `modicum.` are reserved for the SDK's own events")]
    ReservedEventName,
    #[error("property `{key}` is invalid: {reason}")]
    InvalidProperty { key: String, reason: String },
    #[error("an event may carry at most {max} properties")]
    TooManyProperties { max: u32 },
    #[error("unknown consent category `{name}`")]
    UnknownCategory { name: String },
    #[error("unknown age band `{name}`")]
    UnknownAgeBand { name: String },
    #[error("`essential` is declared by the app's policy, not granted by the user")]
    EssentialIsDeclared,
    #[error("invalid policy:\n{errors}")]
    InvalidPolicy { errors: String },
    #[error("invalid config: {reason}")]
    InvalidConfig { reason: String },
    #[error("could not save to the storage directory: {reason}; the change applies in memory")]
    Storage { reason: String },
    #[error("storage directory `{path}` is unusable: {reason}")]
    StorageUnusable { path: String, reason: String },
    /// Thrown by platform code Modicum called (an uploader, a provider). From a `SecretStore`
    /// it means "not now" (a key store still locked): the core tries again later.
    #[error("the platform failed: {reason}")]
    Platform { reason: String },
    /// Thrown by a `SecretStore` whose stored secret can never be read again (its wrapping key
    /// is gone, its bytes were altered): the core replaces the secret rather than stop.
    #[error("a stored secret is damaged for good: {reason}")]
    SecretDamaged { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for ModicumError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        ModicumError::Platform { reason: e.reason }
    }
}

impl From<CoreError> for ModicumError {
    fn from(e: CoreError) -> Self {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        match e {
            CoreError::EmptyEventName => ModicumError::EmptyEventName,
            CoreError::EventNameTooLong { max } => {
                ModicumError::EventNameTooLong { max: count(max) }
            }
            CoreError::ReservedEventName => ModicumError::ReservedEventName,
            CoreError::InvalidProperty { key, reason } => {
                ModicumError::InvalidProperty { key, reason }
            }
            CoreError::TooManyProperties { max } => {
                ModicumError::TooManyProperties { max: count(max) }
            }
            CoreError::UnknownCategory { name } => ModicumError::UnknownCategory { name },
            CoreError::UnknownAgeBand { name } => ModicumError::UnknownAgeBand { name },
            CoreError::EssentialIsDeclared => ModicumError::EssentialIsDeclared,
            CoreError::InvalidPolicy { errors } => ModicumError::InvalidPolicy { errors },
            CoreError::InvalidConfig { reason } => ModicumError::InvalidConfig { reason },
            CoreError::Storage { reason } => ModicumError::Storage { reason },
            CoreError::StorageUnusable { path, reason } => ModicumError::StorageUnusable {
                path: path.display().to_string(),
                reason,
            },
        }
    }
}

impl From<modicum_core::wire::UnknownCategory> for ModicumError {
    fn from(e: modicum_core::wire::UnknownCategory) -> ModicumError {
        ModicumError::UnknownCategory { name: e.name }
    }
}
