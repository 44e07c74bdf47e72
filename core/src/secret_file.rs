//! The install secret on disk. A plain file in the app's private directory: the platform's
//! secret store (Keystore, Keychain) protects it better and replaces this where available.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use crate::transform::InstallSecret;

const FILE_NAME: &str = "install.secret";

/// Reads the install secret, or makes and saves a new one if there is none or the file is not
/// a secret (a new secret only makes pseudonyms unlinkable to old ones, which is safe).
pub(crate) fn load_or_create(dir: &Path) -> io::Result<InstallSecret> {
    let path = dir.join(FILE_NAME);
    if let Ok(bytes) = fs::read(&path) {
        if let Ok(bytes) = <[u8; 32]>::try_from(bytes.as_slice()) {
            return Ok(InstallSecret::from_bytes(bytes));
        }
    }
    let secret = InstallSecret::generate().map_err(io::Error::other)?;
    let tmp = path.with_extension("tmp");
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp)?;
    file.write_all(&secret.to_bytes_for_storage())?;
    file.sync_all()?;
    fs::rename(&tmp, &path)?;
    Ok(secret)
}
