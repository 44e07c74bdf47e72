use std::path::PathBuf;

/// Everything the core can refuse. Each variant names what was wrong so a caller can fix
/// its input; none of them means data already accepted was lost.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    #[error("the event name is empty")]
    EmptyEventName,
    #[error("the event name is longer than {max} bytes")]
    EventNameTooLong { max: usize },
    #[error("event names starting `modicum.` are reserved for the SDK's own events")]
    ReservedEventName,
    #[error("property `{key}` is invalid: {reason}")]
    InvalidProperty { key: String, reason: String },
    #[error("an event may carry at most {max} properties")]
    TooManyProperties { max: usize },
    #[error("unknown consent category `{name}`")]
    UnknownCategory { name: String },
    #[error("unknown age band `{name}` (adult, minor, child)")]
    UnknownAgeBand { name: String },
    #[error("`essential` is declared by the app's policy, not granted by the user")]
    EssentialIsDeclared,
    #[error("invalid policy:\n{errors}")]
    InvalidPolicy { errors: String },
    #[error("invalid config: {reason}")]
    InvalidConfig { reason: String },
    #[error("could not save to the storage directory: {reason}; the change applies in memory")]
    Storage { reason: String },
    #[error("storage directory `{}` is unusable: {reason}", path.display())]
    StorageUnusable { path: PathBuf, reason: String },
}

impl From<modicum_wire::UnknownCategory> for Error {
    fn from(e: modicum_wire::UnknownCategory) -> Error {
        Error::UnknownCategory { name: e.name }
    }
}
