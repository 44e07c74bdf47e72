//! `modicum policy check|table|json`.

use std::path::Path;

use modicum_core::Policy;

pub fn check(file: &Path) -> Result<(), String> {
    match Policy::from_path(file) {
        Ok(policy) => {
            println!(
                "{}: valid, {} rules, version {}",
                file.display(),
                policy.rules().len(),
                policy.version()
            );
            Ok(())
        }
        Err(errors) => {
            for e in &errors.0 {
                println!("{}: {e}", file.display());
            }
            Err(format!(
                "{} has {} error(s)",
                file.display(),
                errors.0.len()
            ))
        }
    }
}

pub fn table(file: Option<&Path>) -> Result<(), String> {
    let policy = match file {
        Some(file) => Policy::from_path(file).map_err(|e| e.to_string())?,
        None => Policy::default(),
    };
    print!("{}", policy.render_table());
    Ok(())
}

pub fn json(file: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let json = Policy::toml_to_json(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    println!("{json}");
    Ok(())
}
