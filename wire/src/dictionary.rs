//! The preset deflate dictionaries, one per envelope format version: strings most batches
//! contain, so even a small batch compresses as if it had seen them before. Both sides must use
//! the same bytes for a format version (the header names it, before anything is inflated);
//! changing them means a new format version.

use std::sync::LazyLock;

use crate::envelope::Format;

/// The dictionary of `format`.
pub fn for_format(format: Format) -> &'static [u8] {
    match format {
        Format::V1 => FORMAT_1,
        Format::V2 => &FORMAT_2,
    }
}

/// The dictionary of format 1: the strings alone. Deflate matches against its end most
/// cheaply, so the most common strings come last.
pub const FORMAT_1: &[u8] = concat!(
    "essentialdiagnosticsanalyticsidentifierslocationlocation_precisesensorssensors_rawadvertisingcross_border",
    "consent",
    "crashhangexceptionstackframethreadmessagekindsignalSIGSEGVSIGABRTpanicked atat java.lang.",
    "http_requestmethodGETPOSTPUTDELETEurlurl_templatestatusduration_msbytes_sentbytes_receivedhttps://",
    "network_changeconnectionwificellularethernetmeteredcarrier",
    "sensor_windowaxiscountminmaxmeanvariance",
    "device.basicbrandmanufacturermodelosos_versionos_buildapp_idapp_versioncpu_archcoresramstorage_totalstorage_free",
    "screen_widthscreen_heightdensitylocaletime_zoneemulatorrootedbattery_levelcharging",
    "AndroidiOSarm64x86_64en-USde-DEEurope/BerlinAmerica/New_York",
    "screen_viewscreentaptargetbuttonsessionsession_startsession_endapp_openapp_backgroundpurchasesearch",
    "load_msfirstsourcereferrervalueitemsquantitypriceresultsuccesserrorcode",
    "p1_[email][phone][ip][card][imei][mac][id][user][credentials][query][token][jwt][secret]",
)
.as_bytes();

/// The dictionary of format 2: format 1's, then the same kind of strings as the payload
/// writes them, each behind its MessagePack length byte, in the order the encoder interns
/// them (a column's key, then its values; a group's name after its columns), and the bytes
/// that open each column's cells. A key in a payload then costs one match of a few bytes,
/// where format 1's bare strings left the length byte to break every match.
pub static FORMAT_2: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let mut out = FORMAT_1.to_vec();
    let runs: [&[&str]; 10] = [
        &[
            "abnormal",
            "crashed",
            "crashed_today",
            "day",
            "ended",
            "sessions",
            "version",
        ],
        &[
            "crashed_at_ms",
            "frames",
            "kind",
            "message",
            "thread",
            "main",
            "crash",
        ],
        &[
            "carrier",
            "connected",
            "ip",
            "metered",
            "type",
            "wifi",
            "cellular",
            "connectivity",
        ],
        &[
            "sensor",
            "start_ms",
            "window_ms",
            "count",
            "mean",
            "min",
            "max",
            "sensor_window",
        ],
        &["duration_ms", "stack", "hang"],
        &["kind", "message", "stack", "error"],
        &["text", "search", "feedback", "log"],
        &["first", "load_ms", "screen", "home", "screen_view"],
        &["position", "screen", "target", "tap"],
        &[
            "bytes_received",
            "bytes_sent",
            "duration_ms",
            "method",
            "GET",
            "POST",
            "status",
            "url",
            "http_request",
        ],
    ];
    for run in runs {
        for word in run {
            push_str(&mut out, word);
        }
    }
    out.extend_from_slice(b"modicum/");
    for cells in [
        "Mixed", "Location", "Decimal", "Double", "Bool", "Text", "Int",
    ] {
        // A column: [key, {"<type>": [cells...]}], the array's length after it.
        out.push(0x81);
        push_str(&mut out, cells);
        out.push(0xdc);
        out.push(0x00);
    }
    out
});

/// `word` as MessagePack writes a string of fewer than 32 bytes: its length in one byte.
fn push_str(out: &mut Vec<u8>, word: &str) {
    debug_assert!(word.len() < 32);
    let len = u8::try_from(word.len()).unwrap_or(u8::MAX);
    out.push(0xa0 | (len & 0x1f));
    out.extend_from_slice(word.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new dictionary is a new format: format 2's bytes may never change. The digest pins
    /// them; a decoder in another language takes them from `tests/vectors/wire.json`.
    #[test]
    fn the_dictionaries_are_fixed() {
        let digest = ring::digest::digest(&ring::digest::SHA256, &FORMAT_2);
        let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "be9fbac47e85c757af4a7573df7d39b1255bf54a49bf0e9a61a1c0d78e417b82"
        );
        assert_eq!(FORMAT_2.len(), 1_428, "docs/wire-format.md, section 4");
        assert_eq!(&FORMAT_2[..FORMAT_1.len()], FORMAT_1);
        let digest = ring::digest::digest(&ring::digest::SHA256, FORMAT_1);
        let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            (FORMAT_1.len(), hex.as_str()),
            (
                909,
                "0bd8830bcf5441afa192969457af4cf875d8275aab91032c24d752ca00978f99"
            )
        );
    }
}
