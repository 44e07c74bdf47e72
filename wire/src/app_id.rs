//! The app id a batch names: a package name or bundle id. Devices refuse a config with any
//! other, and collectors refuse a batch naming one.

/// The longest app id, in bytes.
pub const MAX_APP_ID_BYTES: usize = 255;

/// Whether `app_id` is one the SDK accepts (a package name or bundle id), and if not, why:
/// the collector holds what arrives to the same rule.
pub fn check_app_id(app_id: &str) -> Result<(), String> {
    if app_id.is_empty() {
        return Err("is empty".into());
    }
    if app_id.len() > MAX_APP_ID_BYTES {
        return Err(format!("is longer than {MAX_APP_ID_BYTES} bytes"));
    }
    // Package names and bundle ids use this alphabet; anything else is a mistake, not an id.
    if !app_id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err("may hold only ASCII letters, digits, '.', '_' and '-'".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_and_bundle_ids_pass_and_nothing_else() {
        for ok in ["com.example.app", "cn.example.shop_v2", "io.x-y.Z9"] {
            assert_eq!(check_app_id(ok), Ok(()), "{ok}");
        }
        let long = "a".repeat(MAX_APP_ID_BYTES + 1);
        for bad in ["", "a b", "user@example.com", "应用", long.as_str()] {
            assert!(check_app_id(bad).is_err(), "{bad}");
        }
    }
}
