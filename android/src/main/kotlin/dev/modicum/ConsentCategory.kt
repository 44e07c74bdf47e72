package dev.modicum

/** The purposes a user can grant or deny. Nothing is granted until the user says so. */
enum class ConsentCategory(
    val wireName: String,
) {
    DIAGNOSTICS("diagnostics"),
    ANALYTICS("analytics"),
    IDENTIFIERS("identifiers"),
    LOCATION("location"),
    LOCATION_PRECISE("location_precise"),
    SENSORS("sensors"),
    SENSORS_RAW("sensors_raw"),
    ADVERTISING("advertising"),
    CROSS_BORDER("cross_border"),
}
