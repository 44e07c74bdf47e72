/// The purposes a user can grant or deny. Nothing is granted until the user says so.
public enum ConsentCategory: String, CaseIterable, Sendable {
    case diagnostics
    case analytics
    case identifiers
    case location
    case locationPrecise = "location_precise"
    case sensors
    case sensorsRaw = "sensors_raw"
    case advertising
    case crossBorder = "cross_border"
}
