//! What the platform supplies: the readings only the OS can take. Kotlin and Swift implement
//! these (Build, StatFs, ConnectivityManager; UIDevice, NWPathMonitor); [`host`] implements them
//! for Linux hosts, for the demo, the CLI and the tests. The secret store is
//! [`crate::secret_store::SecretStore`].

use super::device::DeviceInfo;

pub trait DeviceInfoProvider: Send + Sync {
    fn device_info(&self) -> DeviceInfo;
}

/// The network as the platform sees it now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkState {
    pub connected: bool,
    /// "wifi", "cellular", "ethernet", "none".
    pub kind: String,
    pub metered: bool,
    pub carrier: Option<String>,
    /// The device's public or local address, if known (it is generalized before it is held).
    pub ip: Option<String>,
}

pub trait NetworkProvider: Send + Sync {
    fn network(&self) -> NetworkState;
}

pub use crate::clock::{Clock, SystemClock};

/// Providers for a Linux host: uname, /proc/meminfo, statvfs, /sys/class/net, the time zone
/// and locale of the environment.
pub mod host {
    use std::ffi::CStr;
    use std::fs;
    use std::path::{Path, PathBuf};

    use super::{DeviceInfo, DeviceInfoProvider, NetworkProvider, NetworkState};

    /// Device info of the machine this runs on; storage is measured where `storage_dir` is.
    #[derive(Debug, Clone)]
    pub struct HostDevice {
        pub storage_dir: PathBuf,
        pub app_version: Option<String>,
    }

    impl DeviceInfoProvider for HostDevice {
        fn device_info(&self) -> DeviceInfo {
            let uname = uname();
            let (total, free) = statvfs(&self.storage_dir).unzip();
            let network = HostNetwork.network();
            DeviceInfo {
                brand: None,
                manufacturer: None,
                model: uname.as_ref().map(|u| u.machine.clone()),
                os_name: uname.as_ref().map(|u| u.sysname.clone()),
                os_version: uname.as_ref().map(|u| u.release.clone()),
                os_build: None,
                app_version: self.app_version.clone(),
                cpu_arch: Some(std::env::consts::ARCH.to_owned()),
                cpu_cores: std::thread::available_parallelism()
                    .ok()
                    .map(|n| u32::try_from(n.get()).unwrap_or(u32::MAX)),
                ram_bytes: mem_total(),
                storage_total_bytes: total,
                storage_free_bytes: free,
                screen_width: None,
                screen_height: None,
                screen_density: None,
                locale: locale(),
                time_zone: time_zone(),
                emulator: None,
                rooted: None,
                battery_level: None,
                charging: None,
                network_type: Some(network.kind),
            }
        }
    }

    /// The network of the machine: connected if an interface other than loopback is up.
    #[derive(Debug, Clone, Copy, Default)]
    pub struct HostNetwork;

    impl NetworkProvider for HostNetwork {
        fn network(&self) -> NetworkState {
            let mut state = NetworkState {
                kind: "none".into(),
                ..NetworkState::default()
            };
            let Ok(entries) = fs::read_dir("/sys/class/net") else {
                return state;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let up = fs::read_to_string(path.join("operstate")).is_ok_and(|s| s.trim() == "up");
                if entry.file_name() == "lo" || !up {
                    continue;
                }
                state.connected = true;
                state.kind = if path.join("wireless").exists() {
                    "wifi".into()
                } else {
                    "ethernet".into()
                };
                if state.kind == "wifi" {
                    break;
                }
            }
            state
        }
    }

    struct Uname {
        sysname: String,
        release: String,
        machine: String,
    }

    fn uname() -> Option<Uname> {
        // SAFETY: uname fills a zeroed struct of fixed-size, NUL-terminated arrays.
        let mut u: libc::utsname = unsafe { std::mem::zeroed() };
        if unsafe { libc::uname(&mut u) } != 0 {
            return None;
        }
        let field = |f: &[libc::c_char]| {
            // SAFETY: uname NUL-terminates each field within its array.
            unsafe { CStr::from_ptr(f.as_ptr()) }
                .to_string_lossy()
                .into_owned()
        };
        Some(Uname {
            sysname: field(&u.sysname),
            release: field(&u.release),
            machine: field(&u.machine),
        })
    }

    fn statvfs(dir: &Path) -> Option<(u64, u64)> {
        let path = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).ok()?;
        // SAFETY: statvfs writes into a zeroed struct; the path is NUL-terminated.
        let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
        if unsafe { libc::statvfs(path.as_ptr(), &mut s) } != 0 {
            return None;
        }
        let block = widen(s.f_frsize);
        Some((
            widen(s.f_blocks).saturating_mul(block),
            widen(s.f_bavail).saturating_mul(block),
        ))
    }

    /// statvfs's fields as u64: they are u64 on 64-bit Linux and narrower on some 32-bit
    /// targets, where an `as` would be a trivial cast on the one and `u64::from` a useless
    /// conversion on the other.
    fn widen<T: Into<u64>>(n: T) -> u64 {
        n.into()
    }

    fn mem_total() -> Option<u64> {
        let meminfo = fs::read_to_string("/proc/meminfo").ok()?;
        let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    }

    fn locale() -> Option<String> {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|k| std::env::var(k).ok())
            .find(|v| !v.is_empty())
            .map(|v| {
                v.split(['.', '@'])
                    .next()
                    .unwrap_or_default()
                    .replace('_', "-")
            })
    }

    fn time_zone() -> Option<String> {
        if let Ok(tz) = std::env::var("TZ") {
            if !tz.is_empty() {
                return Some(tz.trim_start_matches(':').to_owned());
            }
        }
        if let Ok(tz) = fs::read_to_string("/etc/timezone") {
            return Some(tz.trim().to_owned());
        }
        let target = fs::read_link("/etc/localtime").ok()?;
        let target = target.to_string_lossy();
        Some(target.split("zoneinfo/").nth(1)?.to_owned())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_host_reports_what_linux_knows() {
            let tmp = tempfile::tempdir().unwrap();
            let info = HostDevice {
                storage_dir: tmp.path().to_path_buf(),
                app_version: Some("1.2.3".into()),
            }
            .device_info();
            assert_eq!(info.os_name.as_deref(), Some("Linux"));
            assert_eq!(info.cpu_arch.as_deref(), Some(std::env::consts::ARCH));
            assert!(info.ram_bytes.unwrap() > 64 << 20);
            let (total, free) = (
                info.storage_total_bytes.unwrap(),
                info.storage_free_bytes.unwrap(),
            );
            assert!(total > 0 && free <= total);
            assert!(info.cpu_cores.unwrap() >= 1);
            assert!(info.network_type.is_some());
        }
    }
}
