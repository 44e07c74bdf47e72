//! The preset deflate dictionary, versioned with the schema: strings most batches contain, so
//! even a small batch compresses as if it had seen them before. Both sides must use the same
//! bytes for a schema version; changing them means a new schema version.

/// The dictionary for schema 1. Deflate matches against its end most cheaply, so the most
/// common strings come last.
pub const SCHEMA_1: &[u8] = concat!(
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
